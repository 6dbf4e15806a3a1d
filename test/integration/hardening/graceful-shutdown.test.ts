import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Job } from '../../../src/domain/jobs/job';
import { TOKENS, auth } from '../../helpers/service';
import { testEnv } from '../../../support/test-env';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy';
import { removeImages } from '../../helpers/engine-images';
import { connectWs } from '../../helpers/ws';

// The real process (src/main.ts under tsx) against the shared engine, stopped by a signal. cold/f (the spare) is
// pulled through a throttled proxy so a pull is still running when the signal comes.
jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../../..');
const BUDGET_MS = 8000;
let registry: TcpProxy;
let dataDir: string;

beforeAll(async () => {
  registry = await startTcpProxy('127.0.0.1', Number(testEnv().registry.split(':')[1]), { bytesPerSecond: 150_000 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-shutdown-'));
});
afterAll(async () => {
  await registry?.close();
  await removeImages(`${registry.address}/cold/f:1`);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  port: number;
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; at: number }>;
}

async function startProcess(): Promise<Proc> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DOCKER_HOST: testEnv().dockerHost,
      API_TOKENS: `sd-admin:admin:${TOKENS.admin},sd-viewer:viewer:${TOKENS.viewer}`,
      ALLOWED_REGISTRIES: registry.address,
      PORT: '0',
      DATA_DIR: dataDir,
      SHUTDOWN_TIMEOUT_MS: String(BUDGET_MS),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let buf = '';
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr.resume();
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  const deadline = Date.now() + 20_000;
  while (!logs.some((l) => l.msg === 'listening')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the service did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port: logs.find((l) => l.msg === 'listening')!.port as number, logs, exited };
}

function request(port: number, method: string, p: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, method, path: p, headers: { ...auth('admin'), ...(data ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

test('when SIGTERM comes during a running pull, a waiting request and WebSocket subscriptions, then the job ends failed (shutting_down), the request is answered, sockets close with 1001, and the process exits 0 within the budget', async () => {
  const proc = await startProcess();
  const image = `${registry.address}/cold/f:1`;
  await removeImages(image);
  // A pull that runs for seconds, a request waiting on it, and a WebSocket subscriber following it.
  const started = await request(proc.port, 'POST', '/api/v1/images/pull', { image });
  expect(started.status).toBe(202);
  const jobId = started.body.id as string;
  const waiting = request(proc.port, 'POST', '/api/v1/images/pull?wait=true', { image });
  const ws = await connectWs(`ws://127.0.0.1:${proc.port}/api/v1/ws`, 'viewer');
  ws.send({ type: 'subscribe', id: 'j', channel: 'job', jobId });
  ws.send({ type: 'subscribe', id: 'e', channel: 'events' });
  await ws.waitFor((f) => f.id === 'j' && f.type === 'progress' && (f.data as Job).state === 'running');

  const signalledAt = Date.now();
  proc.child.kill('SIGTERM');

  const answer = await waiting;
  const closed = await ws.closed;
  const exit = await proc.exited;
  const finalJob = ws.frames
    .filter((f) => f.id === 'j' && f.type === 'progress')
    .map((f) => f.data as Job)
    .pop();
  const ms = exit.at - signalledAt;
  console.log(
    `graceful shutdown (SIGTERM): exit ${exit.code} in ${ms} ms (budget ${BUDGET_MS}); waiting request ${answer.status} ${String(answer.body.code)}; WS close ${closed.code}; job ${finalJob?.state}/${finalJob?.error?.code}`,
  );

  expect(answer.status).toBe(503);
  expect(answer.body).toMatchObject({ code: 'shutting_down', jobId });
  expect(finalJob).toMatchObject({ id: jobId, state: 'failed', error: { code: 'shutting_down' } });
  expect(closed.code).toBe(1001);
  expect(exit.code).toBe(0);
  expect(ms).toBeLessThan(BUDGET_MS);
  expect(proc.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  expect(proc.logs.find((l) => l.msg === 'stopped')).toMatchObject({ signal: 'SIGTERM', jobsEnded: 1 });
  await expect(request(proc.port, 'GET', '/healthz')).rejects.toThrow(/ECONNREFUSED/);
});

test('when SIGINT comes to an idle service with a WebSocket open, then it closes it with 1001 and exits 0, logged', async () => {
  const proc = await startProcess();
  const ws = await connectWs(`ws://127.0.0.1:${proc.port}/api/v1/ws`, 'viewer');
  const signalledAt = Date.now();
  proc.child.kill('SIGINT');
  expect((await ws.closed).code).toBe(1001);
  const exit = await proc.exited;
  console.log(`graceful shutdown (SIGINT, idle): exit ${exit.code} in ${exit.at - signalledAt} ms`);
  expect(exit.code).toBe(0);
  expect(proc.logs.find((l) => l.msg === 'stopped')).toMatchObject({ signal: 'SIGINT', jobsEnded: 0 });
});
