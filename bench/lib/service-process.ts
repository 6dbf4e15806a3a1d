import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { sleep } from './stats';

export const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist', 'main.js');

/** The service as production runs it: `node dist/main.js`, its own process (so its RSS is its own). */
export interface ServiceProcess {
  pid: number;
  port: number;
  baseUrl: string;
  wsUrl: string;
  token: string;
  /** Milliseconds from spawn() to the first `/readyz` 200. */
  readyMs: number;
  rssKb(): number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function readyz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

export function rssKbOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

export interface ServiceOptions {
  dockerHost: string;
  allowedRegistries: string;
  workDir: string;
  logLevel?: string;
  /** Another build of the service to start (a variant under comparison); default dist/main.js. */
  main?: string;
  /** More settings for the service's environment (e.g. ENGINES). */
  env?: Record<string, string>;
}

/** Starts the compiled service and waits for /readyz; the time it took is the start-up figure. */
/** For profiling one part: BENCH_SERVICE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' BENCH_ONLY=events … */
const NODE_ARGS = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);

export async function startServiceProcess(o: ServiceOptions): Promise<ServiceProcess> {
  const port = await freePort();
  const token = randomBytes(18).toString('base64url');
  const dataDir = fs.mkdtempSync(path.join(o.workDir, 'svc-'));
  const log = fs.openSync(path.join(dataDir, 'service.log'), 'a');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    DOCKER_HOST: o.dockerHost,
    PORT: String(port),
    HOST: '127.0.0.1',
    API_TOKENS: `bench:admin:${token}`,
    ALLOWED_REGISTRIES: o.allowedRegistries,
    DATA_DIR: dataDir,
    // The production default: one access-log line per request, written to a file as a deployment would.
    LOG_LEVEL: o.logLevel ?? 'info',
    ...o.env,
  };
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...NODE_ARGS, o.main ?? MAIN], { env, stdio: ['ignore', log, log], cwd: ROOT });
  fs.closeSync(log);
  const deadline = Date.now() + 30000;
  let exited = false;
  child.once('exit', () => (exited = true));
  while ((await readyz(port)) !== 200) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not become ready: ${fs.readFileSync(path.join(dataDir, 'service.log'), 'utf8').slice(-2000)}`);
    }
    await sleep(2);
  }
  const readyMs = performance.now() - t0;
  const pid = child.pid!;
  return {
    pid,
    port,
    token,
    readyMs,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/api/v1/ws`,
    rssKb: () => rssKbOf(pid),
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      process.kill(pid, 'SIGTERM');
      const t = setTimeout(() => !exited && process.kill(pid, 'SIGKILL'), 10000);
      await gone;
      clearTimeout(t);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A keep-alive HTTP client for the service, the counterpart of EngineSocket. */
export class ServiceClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly port: number,
    private readonly token: string,
  ) {}

  request(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...extraHeaders, Authorization: `Bearer ${this.token}` };
      const payload = body === undefined ? undefined : JSON.stringify(body);
      if (payload !== undefined) headers['Content-Type'] = 'application/json';
      const req = http.request({ host: '127.0.0.1', port: this.port, path, method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status}: ${r.body.toString().slice(0, 300)}`);
    return JSON.parse(r.body.toString()) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
