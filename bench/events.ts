import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { EngineSocket } from './lib/engine-socket';
import { sleep, summarize, wallMs, type Summary } from './lib/stats';

export interface EventsRow {
  subscribers: number;
  events: number;
  ws: Summary;
  direct: Summary;
  /** Deliveries expected (tag events × subscribers) that never came. */
  missing: number;
}

/** The floor: N clients of a bare `ws` server that fans one frame out to all of them, on the same machine. */
export interface FloorRow {
  subscribers: number;
  /** Server processes the clients are spread over, each sending to its share. */
  servers: number;
  events: number;
  latency: Summary;
  missing: number;
}

const TIME_NANO = /"timeNano"\s*:\s*"?(\d+)/;
const SENT_AT = /"sentAt":([0-9.]+)/;
/** Only `tag` events name the tag (an `untag` names the image id): they are the ones timed. */
const TAG = /"(?:action|Action)"\s*:\s*"tag"/;
const NAME = /"name"\s*:\s*"bench\/ev:[0-9]+"/;

/** Engine time of a tag event line or frame → latency to `at` (ms); both clocks are this host's. */
export const latencyOf = (text: string, at: number): number | undefined => {
  const t = TIME_NANO.exec(text);
  if (!t || !TAG.test(text) || !NAME.test(text)) return undefined;
  return at - Number(BigInt(t[1]) / 1000n) / 1000;
};

type Frame = { text: string; at: number };

/** The N subscribers in a child process (bench/lib/subscriber-process.ts): subscribed when this resolves. */
export async function startSubscribers(
  url: string | string[],
  token: string,
  count: number,
  filters: Record<string, string[]> = { type: ['image'], action: ['tag', 'untag'] },
): Promise<{ child: ChildProcess; collect(): Promise<Frame[]> }> {
  // fork() reuses this process's execArgv: the tsx loader the bench runs under.
  const child = fork(path.join(__dirname, 'lib', 'subscriber-process.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`subscriber process exited (${code})`)));
    });
  const subscribed = next();
  child.send({ url, token, count, filters });
  await subscribed;
  return {
    child,
    collect: async () => {
      const frames = next();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send('stop');
      const got = ((await frames) as { frames: Frame[] }).frames;
      await exited;
      return got;
    },
  };
}

/**
 * Engine-emit → delivery: image `tag` events (each followed by its `untag`), spaced apart, seen by N WebSocket subscribers of the service
 * and by one direct `/events` reader on the engine socket at the same time.
 */
export async function runEvents(o: {
  engine: EngineSocket;
  wsUrl: string;
  token: string;
  baseImage: string;
  levels: number[];
  eventsPerLevel: number;
  gapMs: number;
  log: (s: string) => void;
}): Promise<EventsRow[]> {
  const rows: EventsRow[] = [];
  let tagNo = 0;
  for (const n of o.levels) {
    const wsLat: number[] = [];
    const directLat: number[] = [];
    const subs = await startSubscribers(o.wsUrl, o.token, n);
    const stopDirect = await o.engine.stream(
      '/events?filters=' + encodeURIComponent(JSON.stringify({ type: ['image'] })),
      (line, at) => {
        const l = latencyOf(line, at);
        if (l !== undefined) directLat.push(l);
      },
      wallMs,
    );
    await sleep(200);
    let emitted = 0;
    for (let i = 0; i < o.eventsPerLevel; i++) {
      const tag = `${++tagNo}`;
      await o.engine.json('POST', `/images/${o.baseImage}/tag?repo=bench/ev&tag=${tag}`);
      await sleep(o.gapMs);
      await o.engine.json('DELETE', `/images/bench/ev:${tag}`);
      await sleep(o.gapMs);
      emitted++;
    }
    // The subscribers' frames come back when stopped: wait as long as the direct reader still misses events.
    const until = Date.now() + 5000;
    while (directLat.length < emitted && Date.now() < until) await sleep(50);
    await sleep(1000);
    for (const r of await subs.collect()) {
      const l = latencyOf(r.text, r.at);
      if (l !== undefined) wsLat.push(l);
    }
    stopDirect();
    const row = { subscribers: n, events: emitted, ws: summarize(wsLat), direct: summarize(directLat), missing: emitted * n - wsLat.length };
    rows.push(row);
    o.log(
      `events n=${n}: ws p50 ${row.ws.p50.toFixed(2)} p99 ${row.ws.p99.toFixed(2)} / direct p50 ${row.direct.p50.toFixed(2)} p99 ${row.direct.p99.toFixed(2)} missing ${row.missing}`,
    );
    await sleep(300);
  }
  return rows;
}

/**
 * What fanning one frame out to N WebSocket clients costs on this machine with nothing else in the way: a bare
 * `ws` server (bench/lib/bare-ws-server.ts) told by this process to send, the same subscriber process as above
 * reading. Latency is from the moment this process asked to the frame's arrival.
 */
export async function runFloor(o: {
  levels: { subscribers: number; servers: number }[];
  eventsPerLevel: number;
  gapMs: number;
  log: (s: string) => void;
}): Promise<FloorRow[]> {
  const rows: FloorRow[] = [];
  for (const { subscribers: n, servers: k } of o.levels) {
    const servers = Array.from({ length: k }, () =>
      fork(path.join(__dirname, 'lib', 'bare-ws-server.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const ports = await Promise.all(
      servers.map((s) => new Promise<number>((resolve) => s.once('message', (m: { port: number }) => resolve(m.port)))),
    );
    const subs = await startSubscribers(
      ports.map((p) => `ws://127.0.0.1:${p}`),
      'unused',
      n,
    );
    await sleep(200);
    for (let i = 0; i < o.eventsPerLevel; i++) {
      const sentAt = wallMs();
      for (const s of servers) s.send({ seq: i + 1, sentAt });
      await sleep(o.gapMs * 2);
    }
    await sleep(1000);
    const latency: number[] = [];
    for (const r of await subs.collect()) {
      const m = SENT_AT.exec(r.text);
      if (m) latency.push(r.at - Number(m[1]));
    }
    for (const s of servers) s.disconnect();
    const row = { subscribers: n, servers: k, events: o.eventsPerLevel, latency: summarize(latency), missing: o.eventsPerLevel * n - latency.length };
    rows.push(row);
    o.log(
      `events floor n=${n} over ${k} server(s): bare ws p50 ${row.latency.p50.toFixed(2)} p99 ${row.latency.p99.toFixed(2)} missing ${row.missing}`,
    );
    await sleep(300);
  }
  return rows;
}
