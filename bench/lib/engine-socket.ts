import http from 'node:http';

/**
 * Plain HTTP over the engine's unix socket: the "direct" side of every comparison. A keep-alive agent, as
 * dockerode's own requests get from Node's global agent, so neither side pays a connection per request.
 */
export class EngineSocket {
  readonly agent: http.Agent;

  constructor(readonly socketPath: string) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  /** GET and read the whole body (as a client of the engine would, then parse it). */
  request(method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socketPath, path, method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body !== undefined) req.end(body);
      else req.end();
    });
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      body === undefined ? {} : { 'Content-Type': 'application/json' },
    );
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status}: ${r.body.toString().slice(0, 300)}`);
    return (r.body.length ? JSON.parse(r.body.toString()) : undefined) as T;
  }

  /** A streaming GET (events): calls onLine for each JSON line; returns a function that closes it. */
  stream(path: string, onLine: (line: string, receivedAt: number) => void, now: () => number): Promise<() => void> {
    return new Promise((resolve, reject) => {
      // Its own agent-less request: a long-lived stream must not hold a pooled socket.
      const req = http.request({ socketPath: this.socketPath, path, method: 'GET', agent: false }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${path} → ${res.statusCode}`));
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = now();
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim()) onLine(line, at);
          }
        });
        res.on('error', () => undefined);
        resolve(() => req.destroy());
      });
      req.on('error', (err) => reject(err));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
