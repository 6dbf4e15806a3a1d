import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Job } from '../../src/domain/jobs/job';
import { auth, startService, type TestService } from '../helpers/service';
import { testEnv } from '../../support/test-env';
import { startEngineProxy, type EngineProxy } from '../helpers/engine-proxy';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { imagePresent, removeImages } from '../helpers/engine-images';
import { answered, outcome } from '../helpers/jobs';

// This file owns cold/b. Pulls go through a throttled proxy in front of the shared registry, so they last
// long enough (~3 s) to be joined, cancelled or broken mid-transfer; the shared registry is never touched.
jest.setTimeout(30_000);

let registry: TcpProxy;
let engineProxy: EngineProxy;
let svc: TestService;
let dataDir: string;
let B1: string;
let B2: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-pull-faults-'));
  registry = await startTcpProxy('127.0.0.1', Number(testEnv().registry.split(':')[1]), { bytesPerSecond: 400_000 });
  engineProxy = await startEngineProxy(testEnv().socketPath);
  B1 = `${registry.address}/cold/b:1`;
  B2 = `${registry.address}/cold/b:2`;
  svc = await startService({
    DOCKER_HOST: engineProxy.dockerHost,
    ALLOWED_REGISTRIES: `${testEnv().registry},${registry.address}`,
    // No test on this service waits for a stall: 6 s keeps a loaded engine's slow start of a throttled pull from
    // being taken for one (at 2 s, the first of three joined pulls failed as stalled and the others made a new job).
    PULL_STALL_TIMEOUT_MS: '6000',
    DATA_DIR: dataDir,
  });
});
beforeEach(() => removeImages(B1, B2));
afterAll(async () => {
  await svc.close();
  await removeImages(B1, B2);
  await engineProxy.close();
  await registry.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const getJob = async (s: TestService, id: string): Promise<Job> => (await s.http.get(`/api/v1/jobs/${id}`).set(auth('viewer'))).body;

async function until(s: TestService, id: string, done: (j: Job) => boolean, timeoutMs = 20_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(s, id);
    if (done(job) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const isFinal = (j: Job) => ['succeeded', 'failed', 'cancelled'].includes(j.state);
const moving = (j: Job) => j.progress.bytesDone > 0 || isFinal(j);
const creates = (p: EngineProxy) => p.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/images/create?')).length;

test('when three requests pull one reference at once, then they share one job and the engine sees one pull', async () => {
  const before = creates(engineProxy);
  const answers = await Promise.all([1, 2, 3].map(() => svc.http.post('/api/v1/images/pull').set(auth('operator')).send({ image: B1 })));
  expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
  expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  const joined = await svc.http.post('/api/v1/images/pull?wait=true').set(auth('operator')).send({ image: B1 });
  expect(answered(joined)).toEqual({ status: 200, state: 'succeeded', error: null });
  expect(joined.body.id).toBe(answers[0].body.id);
  expect(creates(engineProxy) - before).toBe(1);
  expect(await imagePresent(B1)).toBe(true);
});

test('when a running pull is cancelled, then the job ends cancelled, a waiting request hears 409, and the engine has no image', async () => {
  const started = await svc.http.post('/api/v1/images/pull').set(auth('operator')).send({ image: B1 });
  const waiter = svc.http
    .post('/api/v1/images/pull?wait=true')
    .set(auth('operator'))
    .send({ image: B1 })
    .then((r) => r);
  const running = await until(svc, started.body.id, moving);
  expect(outcome(running)).toEqual({ state: 'running', error: null });
  expect(running.progress.percent).toBeLessThan(100);
  const cancelled = await svc.http.delete(`/api/v1/jobs/${started.body.id}`).set(auth('operator'));
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.state).toBe('cancelled');
  const waited = await waiter;
  expect(waited.status).toBe(409);
  expect(waited.body.jobId).toBe(started.body.id);
  // The engine abandons a pull whose client went away: nothing is tagged, then or a moment later.
  expect(await imagePresent(B1)).toBe(false);
  await new Promise((r) => setTimeout(r, 1000));
  expect(await imagePresent(B1)).toBe(false);
  const again = await svc.http.delete(`/api/v1/jobs/${started.body.id}`).set(auth('operator'));
  expect(again.status).toBe(409);
  expect((await svc.http.delete(`/api/v1/jobs/${started.body.id}`).set(auth('viewer'))).status).toBe(403);
});

test('when the client that started a waiting pull disconnects, then the job carries on to success', async () => {
  const req = http.request(`${svc.baseUrl}/api/v1/images/pull?wait=true`, {
    method: 'POST',
    headers: { ...auth('operator'), 'Content-Type': 'application/json' },
  });
  req.on('error', () => undefined);
  req.end(JSON.stringify({ image: B2 }));
  let job: Job | undefined;
  for (let i = 0; i < 100 && !job; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const list = await svc.http.get('/api/v1/jobs?kind=pull&state=running').set(auth('viewer'));
    job = (list.body.items as Job[]).find((j) => j.image === B2);
  }
  expect(job).toBeDefined();
  req.destroy();
  const done = await until(svc, job!.id, isFinal);
  expect(outcome(done)).toEqual({ state: 'succeeded', error: null });
  expect(await imagePresent(B2)).toBe(true);
});

test('when the engine connection dies mid-pull, then the job fails as engine_unavailable', async () => {
  const started = await svc.http.post('/api/v1/images/pull').set(auth('operator')).send({ image: B1 });
  await until(svc, started.body.id, moving);
  engineProxy.cut();
  const done = await until(svc, started.body.id, isFinal);
  expect(outcome(done)).toMatchObject({ state: 'failed', error: { code: 'engine_unavailable' } });
  expect(done.error?.message).toMatch(/engine stream broke/);
});

test('when the registry is killed mid-pull, then the job fails as registry_unreachable with the engine retry in its message', async () => {
  const doomed = await startTcpProxy('127.0.0.1', Number(testEnv().registry.split(':')[1]), { bytesPerSecond: 200_000 });
  // 4 s: long enough that a loaded engine's slow start of a throttled pull is not taken for a stall (2 s failed the
  // job before its first byte in a full run), short against the engine's 5, 10, 15 s retry waits after the cut.
  const s = await startService({ ALLOWED_REGISTRIES: doomed.address, PULL_STALL_TIMEOUT_MS: '4000', DATA_DIR: dataDir });
  const image = `${doomed.address}/cold/b:1`;
  try {
    const started = await s.http.post('/api/v1/images/pull').set(auth('operator')).send({ image });
    const running = await until(s, started.body.id, moving);
    expect(outcome(running)).toEqual({ state: 'running', error: null });
    doomed.cut();
    const done = await until(s, started.body.id, isFinal);
    expect(outcome(done)).toMatchObject({ state: 'failed', error: { code: 'registry_unreachable' } });
    // Usually the layers stall in the engine's retries; on a loaded engine the image config may still be on its way
    // at the cut, and then the engine itself fails the pull at once (the next test makes that happen every time).
    expect(done.error?.message).toMatch(/Retrying in \d+ seconds?|^error pulling image configuration: /);
    expect(done.progress.percent).toBeLessThan(100);
    expect(await imagePresent(image)).toBe(false);
  } finally {
    await s.close();
    await doomed.close();
    await removeImages(image);
  }
});

test('when the registry breaks every blob download, then the engine gives up on the image config and the job fails as registry_unreachable at once', async () => {
  // An HTTP proxy in front of the registry that answers the manifest and drops the connection on every blob:
  // dockerd retries the config 6 times in well under a second and then ends its stream with an {error} line.
  const [host, port] = testEnv().registry.split(':');
  const breaking = http.createServer((req, res) => {
    if (/\/blobs\/sha256:/.test(req.url ?? '')) return req.socket.destroy();
    const upstream = http.request({ host, port: Number(port), path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => breaking.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(breaking.address() as { port: number }).port}`;
  const image = `${address}/cold/b:1`;
  const s = await startService({ ALLOWED_REGISTRIES: address, DATA_DIR: dataDir });
  try {
    const started = await s.http.post('/api/v1/images/pull').set(auth('operator')).send({ image });
    const done = await until(s, started.body.id, isFinal);
    // The default stall bound is 60 s: only the engine's own error can end the job this early.
    expect(outcome(done)).toMatchObject({ state: 'failed', error: { code: 'registry_unreachable' } });
    expect(done.error?.message).toMatch(/^error pulling image configuration: download failed after attempts=\d+: EOF$/);
    expect(await imagePresent(image)).toBe(false);
  } finally {
    await s.close();
    breaking.closeAllConnections();
    await new Promise((r) => breaking.close(r));
    await removeImages(image);
  }
});
