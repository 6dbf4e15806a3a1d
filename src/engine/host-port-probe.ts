import net from 'node:net';

/**
 * True when a TCP port cannot be bound on this host. Only meaningful when the engine runs on this host (a
 * local unix socket): its port publishing (docker-proxy) binds the same host ports.
 */
export function tcpPortInUse(port: number, host?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    server.listen({ port, host: host ?? '0.0.0.0', exclusive: true }, () => server.close(() => resolve(false)));
  });
}
