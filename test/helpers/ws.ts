import WebSocket from 'ws';
import type { ServerFrame } from '../../src/ws/protocol';
import { TOKENS, type TokenRole } from './service';

/** A real `ws` client that records every frame and can wait for one. */
export interface TestSocket {
  ws: WebSocket;
  frames: ServerFrame[];
  send(frame: unknown): void;
  /** Resolves with the first frame (already received or to come) matching `pred`. */
  waitFor(pred: (f: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function wrap(ws: WebSocket): TestSocket {
  const frames: ServerFrame[] = [];
  const waiters: { pred: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];
  ws.on('message', (data) => {
    const f = JSON.parse((data as Buffer).toString()) as ServerFrame;
    frames.push(f);
    for (const w of [...waiters]) {
      if (w.pred(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
    }
  });
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    close: () => ws.close(),
    waitFor: (pred, timeoutMs = 10000) => {
      const found = frames.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-5))}`)), timeoutMs);
        waiters.push({ pred, resolve: (f) => (clearTimeout(t), resolve(f)) });
      });
    },
  };
}

/** Opens `/api/v1/ws` with a bearer token (or the options given) and resolves once it is open. */
export async function connectWs(
  url: string,
  role: TokenRole | null = 'viewer',
  opts: WebSocket.ClientOptions = {},
  protocols?: string[],
): Promise<TestSocket> {
  const headers = { ...(role ? { Authorization: `Bearer ${TOKENS[role]}` } : {}), ...(opts.headers ?? {}) };
  const ws = new WebSocket(url, protocols, { ...opts, headers });
  const sock = wrap(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
  return sock;
}

/** The HTTP status with which an upgrade was refused (or 101 when it was accepted). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}, protocols?: string[]): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', () => undefined);
  });
}
