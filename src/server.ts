import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

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

/** Binds the app (port 0 in tests) and routes WebSocket upgrades; closes everything on close(). */
export async function startServer(app: http.RequestListener, port: number, host: string, upgrades: Record<string, UpgradeHandler> = {}): Promise<RunningServer> {
  const server = http.createServer(app);
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
