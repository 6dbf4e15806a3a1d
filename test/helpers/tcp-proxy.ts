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

/**
 * Relays `from` to `to` in slices, pausing the source so at most `bytesPerSecond` pass each second. When the
 * source ends or closes, what is still queued is delivered first, then `to` is ended: a slow link, never a cut one.
 * (Ending `to` at once used to truncate the response in flight; the engine then saw a broken layer download,
 * waited seconds to retry it, and the tests' 2 s stall timeout failed the pull.)
 */
function throttledPipe(from: net.Socket, to: net.Socket, bytesPerSecond: number, count: (n: number) => void): void {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 10));
  let queued = 0;
  let ended = false;
  const endWhenDrained = () => {
    if (ended && queued === 0 && !to.destroyed) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    from.pause();
    queued++;
    let offset = 0;
    const next = () => {
      if (to.destroyed) return;
      if (offset >= chunk.length) {
        queued--;
        from.resume();
        endWhenDrained();
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
  from.on('end', () => {
    ended = true;
    endWhenDrained();
  });
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
    // The target closing is not a cut: its last bytes may still be queued in the throttle (ended once drained).
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', (hadError: boolean) => (hadError || !opts.bytesPerSecond ? drop() : undefined));
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
