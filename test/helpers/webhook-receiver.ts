import http, { type IncomingHttpHeaders } from 'node:http';
import type net from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request was in (ms since the epoch). */
  at: number;
}

export interface Receiver {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1: records each POST, answers `status` after `delayMs`. */
export async function startReceiver(
  opts: { port?: number; delayMs?: number; status?: number; headers?: Record<string, string> } = {},
): Promise<Receiver> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const t = setTimeout(() => res.writeHead(opts.status ?? 204, opts.headers ?? {}).end(), opts.delayMs ?? 0);
      res.on('close', () => clearTimeout(t));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
