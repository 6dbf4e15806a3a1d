import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServerLimits } from './config/config';

/** Takes over an HTTP upgrade on one path (the WebSocket gateway); closed before the server. */
export interface UpgradeHandler {
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

export interface RunningServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

/** What a client may cost the server before its request is in (config): Node's defaults are 60 s, 300 s and no cap. */
export const DEFAULT_SERVER_LIMITS: ServerLimits = { headersTimeoutMs: 10000, requestTimeoutMs: 30000, maxConnections: 4096 };

/** Binds the app (port 0 in tests) and routes WebSocket upgrades; closes everything on close(). */
export async function startServer(
  app: http.RequestListener,
  port: number,
  host: string,
  upgrades: Record<string, UpgradeHandler> = {},
  limits: ServerLimits = DEFAULT_SERVER_LIMITS,
): Promise<RunningServer> {
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node checks both timeouts on this period (default 30 s): a slow client is cut at most this late.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    app,
  );
  // Past the cap, the kernel's accept is followed by an immediate close: a flood of idle sockets costs no memory.
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = Object.prototype.hasOwnProperty.call(upgrades, path) ? upgrades[path] : undefined;
    if (handler) return handler.handleUpgrade(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      // Upgraded sockets keep server.close() waiting: the handlers close their clients first.
      await Promise.all(Object.values(upgrades).map((h) => h.close()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
