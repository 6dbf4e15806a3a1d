import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EngineRequest {
  method: string;
  path: string;
}

/**
 * A recording proxy in front of the isolated engine's socket: point a service at `dockerHost` and read
 * `requests` to prove which engine calls were (or were not) made. `cut()` drops every open connection,
 * as an engine that dies would. Start one per test file; `close()` it in afterAll.
 */
export interface EngineProxy {
  dockerHost: string;
  socketPath: string;
  /** Every HTTP request line seen, in order. */
  requests: EngineRequest[];
  /** How many requests were seen so far; `since(mark)` gives only those that came after. */
  mark(): number;
  since(mark: number): EngineRequest[];
  connections(): number;
  cut(): void;
  /**
   * The `/events` streams open now stop delivering (the engine's bytes are held back, the sockets stay open): a
   * stream stalled on the way while the daemon answers everything else. Later connections flow as before.
   */
  stallEventStreams(): number;
  close(): Promise<void>;
}

const REQUEST_LINE = /(?:^|\r\n)(GET|POST|PUT|DELETE|HEAD) (\/\S*) HTTP\/1\.[01]\r\n/g;

export async function startEngineProxy(engineSocket: string): Promise<EngineProxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-engine-proxy-'));
  const socketPath = path.join(dir, 'docker.sock');
  const requests: EngineRequest[] = [];
  const open = new Set<net.Socket>();
  const eventStreams = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(engineSocket);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    const pair = { client, upstream };
    client.on('data', (chunk: Buffer) => {
      for (const m of chunk.toString('latin1').matchAll(REQUEST_LINE)) {
        requests.push({ method: m[1], path: m[2] });
        if (m[2].startsWith('/events') && !m[2].includes('until=')) eventStreams.add(pair);
      }
    });
    client.on('close', () => eventStreams.delete(pair));
    client.pipe(upstream).pipe(client);
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    dockerHost: `unix://${socketPath}`,
    socketPath,
    requests,
    mark: () => requests.length,
    since: (mark) => requests.slice(mark),
    connections: () => connections,
    stallEventStreams: () => {
      for (const { client, upstream } of eventStreams) {
        upstream.unpipe(client);
        upstream.pause();
      }
      return eventStreams.size;
    },
    cut: () => {
      for (const s of open) s.destroy();
      open.clear();
    },
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `GET /containers/{x}/json` style counts of what the engine was asked: `METHOD path-without-query` → calls. */
export function countCalls(requests: readonly EngineRequest[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) {
    const key = `${r.method} ${r.path.split('?')[0]}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
