import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { ContainerSnapshot, EngineEventStream, EventSource, ImageSnapshot, RawEngineEvent } from '../domain/events/engine-event';
import { engineCall } from './engine-errors';

/** One `/events` line as the engine writes it (API 1.41). */
interface WireEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> | null };
  time?: number;
  timeNano?: number | string;
}

/** A line longer than this is not an event we can use; it is dropped instead of growing a buffer. */
const MAX_LINE = 256 * 1024;

/** `1700000000123456789` → `1700000000.123456789`, the engine's `since` syntax. */
export function nanoToSince(nano: string): string {
  const s = nano.padStart(10, '0');
  return `${s.slice(0, -9)}.${s.slice(-9)}`;
}

/**
 * Numbers as big as timeNano lose their last digits in JSON.parse; the raw text keeps them. We read the
 * digits from the line itself, falling back to `time` seconds.
 */
function timeNanoOf(line: string, w: WireEvent): string {
  const m = /"timeNano"\s*:\s*(\d+)/.exec(line);
  if (m) return m[1];
  return (BigInt(Math.floor(w.time ?? Date.now() / 1000)) * 1000000000n).toString();
}

export function parseEventLine(line: string): RawEngineEvent | undefined {
  let w: WireEvent;
  try {
    w = JSON.parse(line) as WireEvent;
  } catch {
    return undefined;
  }
  if (!w || typeof w.Type !== 'string' || typeof w.Action !== 'string') return undefined;
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(w.Actor?.Attributes ?? {})) attributes[k] = String(v);
  return { type: w.Type, action: w.Action, actorId: w.Actor?.ID ?? '', attributes, timeNano: timeNanoOf(line, w) };
}

export class DockerEventSource implements EventSource {
  constructor(
    private readonly api: Docker,
    private readonly streaming: Docker,
    private readonly timeoutMs: number,
  ) {}

  async open(onEvent: (e: RawEngineEvent) => void, sinceNano?: string): Promise<EngineEventStream> {
    // The engine takes `seconds.nanoseconds`; dockerode's type says number but passes the query through.
    const opts = (sinceNano ? { since: nanoToSince(sinceNano) } : {}) as unknown as Docker.GetEventsOptions;
    const stream = (await engineCall(() => this.streaming.getEvents(opts), {
      timeoutMs: this.timeoutMs,
    })) as Readable;
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line.length === 0) continue;
        const e = parseEventLine(line);
        if (e) onEvent(e);
      }
      if (buf.length > MAX_LINE) buf = '';
    });
    const ended = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    return { ended, close: () => stream.destroy() };
  }

  async replay(sinceNano: string, untilNano: string): Promise<RawEngineEvent[]> {
    // With `until` in the past the engine writes what it holds in the range and ends the stream.
    const opts = { since: nanoToSince(sinceNano), until: nanoToSince(untilNano) } as unknown as Docker.GetEventsOptions;
    const stream = (await engineCall(() => this.streaming.getEvents(opts), { timeoutMs: this.timeoutMs })) as Readable;
    const timer = setTimeout(() => stream.destroy(new Error('timeout reading the engine event replay')), this.timeoutMs);
    let text = '';
    try {
      stream.setEncoding('utf8');
      for await (const chunk of stream) {
        text += chunk as string;
        if (text.length > 64 * MAX_LINE) break;
      }
    } catch (err) {
      throw await engineCall(() => Promise.reject(err instanceof Error ? err : new Error(String(err)))).catch((e: unknown) => e);
    } finally {
      clearTimeout(timer);
      stream.destroy();
    }
    return text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .map(parseEventLine)
      .filter((e): e is RawEngineEvent => e !== undefined);
  }

  async ping(): Promise<void> {
    await engineCall(() => this.api.ping(), { timeoutMs: this.timeoutMs });
  }

  async listContainers(): Promise<ContainerSnapshot[]> {
    const rows = await engineCall(() => this.api.listContainers({ all: true }), { timeoutMs: this.timeoutMs });
    return rows.map((c) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? '').replace(/^\//, ''),
      image: c.Image,
      state: c.State,
      labels: c.Labels ?? {},
    }));
  }

  async listImages(): Promise<ImageSnapshot[]> {
    const rows = await engineCall(() => this.api.listImages({ all: false }), { timeoutMs: this.timeoutMs });
    return rows.map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>') }));
  }
}
