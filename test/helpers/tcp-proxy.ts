import net from 'node:net';

/**
 * A TCP proxy on a free 127.0.0.1 port in front of a loopback service (a registry), so a test can slow or
 * break the link without touching the shared service. The engine treats 127.0.0.1:<any port> as an
 * insecure registry, so `127.0.0.1:${port}/repo:tag` pulls through it.
 */
export interface TcpProxy {
  port: number;
  address: string;
  /** Bytes sent from the target back to clients so far. */
  bytesDown(): number;
  /** Drops every open connection and refuses new ones, as a killed service would. */
  cut(): void;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  /** Caps target→client bytes per second on each connection (0: unthrottled). */
  bytesPerSecond?: number;
}

/** Relays `from` to `to` in slices, pausing the source so at most `bytesPerSecond` pass each second. */
function throttledPipe(from: net.Socket, to: net.Socket, bytesPerSecond: number, count: (n: number) => void): void {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 10));
  from.on('data', (chunk: Buffer) => {
    from.pause();
    let offset = 0;
    const next = () => {
      if (to.destroyed) return;
      if (offset >= chunk.length) {
        from.resume();
        return;
      }
      const part = chunk.subarray(offset, offset + slice);
      offset += part.length;
      count(part.length);
      to.write(part);
      setTimeout(next, 100);
    };
    next();
  });
  from.on('end', () => to.end());
}

export async function startTcpProxy(targetHost: string, targetPort: number, opts: TcpProxyOptions = {}): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let down = 0;
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.pipe(upstream);
    if (opts.bytesPerSecond) throttledPipe(upstream, client, opts.bytesPerSecond, (n) => (down += n));
    else {
      upstream.on('data', (c: Buffer) => (down += c.length));
      upstream.pipe(client);
    }
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    bytesDown: () => down,
    cut: () => {
      refusing = true;
      server.close();
      for (const s of open) s.destroy();
      open.clear();
    },
    close: async () => {
      refusing = true;
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
