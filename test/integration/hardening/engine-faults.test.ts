import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Job } from '../../../src/domain/jobs/job';
import { auth, startService, type TestService } from '../../helpers/service';
import { startPrivateEngine, type PrivateEngine } from '../../../support/private-engine';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy';
import { testEnv } from '../../../support/test-env';
import { connectWs, type TestSocket } from '../../helpers/ws';

// Faults on a PRIVATE dockerd (never the shared one): killed during a pull and an event subscription, then hung
// with SIGSTOP. Covered elsewhere and not repeated: a restart during an event subscription with reconcile
// (ws/ws-engine-restart.test.ts), the engine absent at start-up (engine-availability.test.ts), the registry killed
// mid-pull (image-pull-faults.test.ts), slow and dead WebSocket peers (ws/ws-events.test.ts, ws/ws-heartbeat.test.ts).
jest.setTimeout(120_000);

const ENGINE_TIMEOUT_MS = 1000;
let engine: PrivateEngine;
let registry: TcpProxy;
let svc: TestService;
let docker: Docker;
const figures: string[] = [];

beforeAll(async () => {
  engine = await startPrivateEngine();
  docker = new Docker({ socketPath: engine.socketPath });
  registry = await startTcpProxy('127.0.0.1', Number(testEnv().registry.split(':')[1]), { bytesPerSecond: 100_000 });
  svc = await startService({ DOCKER_HOST: engine.dockerHost, ENGINE_TIMEOUT_MS: String(ENGINE_TIMEOUT_MS), ALLOWED_REGISTRIES: registry.address });
});
afterAll(async () => {
  console.log(`engine faults: ${figures.join('; ')}`);
  await svc?.close();
  await registry?.close();
  // destroy() resumes a paused engine before it stops it.
  await engine?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const ready = async () => ((await svc.http.get('/readyz')).status === 200 ? true : undefined);
const hubConnected = async () => ((await svc.http.get('/api/v1/events').set(auth('viewer'))).body.engineConnected === true ? true : undefined);
const stuckRunning = async () => ((await svc.http.get('/api/v1/jobs?state=running').set(auth('viewer'))).body.items as Job[]).length;

async function cleanUpAfterKill(): Promise<void> {
  try {
    execFileSync('umount', [path.join(engine.dir, 'data')], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
  const pidFile = path.join(engine.dir, 'x', 'containerd', 'containerd.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (pid > 0 && alive()) process.kill(pid, 'SIGKILL');
  await until('containerd to exit', async () => (alive() ? undefined : true), 10_000);
}

/** Containers the service lists against those the engine lists: ids in one and not the other. */
async function divergence(): Promise<number> {
  const ours = new Set(((await svc.http.get('/api/v1/containers?all=true').set(auth('viewer'))).body.items as { id: string }[]).map((c) => c.id));
  const theirs = new Set((await docker.listContainers({ all: true })).map((c) => c.Id));
  return [...ours].filter((x) => !theirs.has(x)).length + [...theirs].filter((x) => !ours.has(x)).length;
}

test('when the daemon is killed during a pull and an event subscription, then the job ends failed with a clear error (none stuck running), and after a restart the service is ready, events flow and its view matches the engine', async () => {
  const sock: TestSocket = await connectWs(svc.wsUrl, 'viewer');
  try {
    sock.send({ type: 'subscribe', id: 'ev', channel: 'events', filters: { type: ['container'] } });
    await sock.waitFor((f) => f.type === 'subscribed');
    await until('the event stream', hubConnected);
    const image = `${registry.address}/cold/f:1`;
    const started = await svc.http.post('/api/v1/images/pull').set(auth('operator')).send({ image });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    await until('the pull to move', async () => {
      const j = (await svc.http.get(`/api/v1/jobs/${id}`).set(auth('viewer'))).body as Job;
      return j.progress.bytesDone > 0 || j.state !== 'running' ? j : undefined;
    });

    const killedAt = Date.now();
    process.kill(engine.pid, 'SIGKILL');
    const failed = await until('the job to end', async () => {
      const j = (await svc.http.get(`/api/v1/jobs/${id}`).set(auth('viewer'))).body as Job;
      return j.state === 'running' || j.state === 'queued' ? undefined : j;
    });
    const jobEndMs = Date.now() - killedAt;
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toMatch(/^engine_(unavailable|error)$/);
    expect(failed.error?.message.length).toBeGreaterThan(10);
    expect((await svc.http.get('/readyz')).status).toBe(503);

    // A SIGKILLed dockerd leaves its containerd and its data-root mount behind: a supervisor clears them first.
    await cleanUpAfterKill();
    const restartAt = Date.now();
    await engine.start();
    await until('readiness', ready);
    const readyMs = Date.now() - restartAt;
    await until('the event stream to reconnect', hubConnected);
    const eventsMs = Date.now() - restartAt;
    const c = await docker.createContainer({
      Image: 'pe-busybox:1',
      Cmd: ['true'],
      Labels: { 'dockhand.test': 'hardening' },
      HostConfig: { NetworkMode: 'none' },
    });
    await sock.waitFor((f) => f.type === 'event' && (f.data as { actorId: string }).actorId === c.id, 15_000);
    const diverging = await divergence();
    const stuck = await stuckRunning();
    await c.remove({ force: true });
    figures.push(
      `killed mid-pull → job ${failed.state}/${failed.error?.code} in ${jobEndMs} ms; after restart ready in ${readyMs} ms, events in ${eventsMs} ms; divergence ${diverging}; jobs stuck running ${stuck}`,
    );
    expect(diverging).toBe(0);
    expect(stuck).toBe(0);
  } finally {
    sock.ws.terminate();
  }
});

test('when the daemon hangs (SIGSTOP), then requests end within the engine timeout with 504, /readyz turns 503, and after SIGCONT everything recovers', async () => {
  await until('readiness', ready);
  await engine.pause();
  let resumed = false;
  try {
    const t0 = Date.now();
    const list = await svc.http.get('/api/v1/containers').set(auth('viewer'));
    const listMs = Date.now() - t0;
    expect(list.status).toBe(504);
    expect(list.body.code).toBe('engine_timeout');
    expect(listMs).toBeLessThan(ENGINE_TIMEOUT_MS + 1500);
    const t1 = Date.now();
    const readiness = await svc.http.get('/readyz');
    const readyzMs = Date.now() - t1;
    expect(readiness.status).toBe(503);
    expect(readyzMs).toBeLessThan(ENGINE_TIMEOUT_MS + 1500);

    const contAt = Date.now();
    engine.resume();
    resumed = true;
    await until('readiness', ready);
    const recoverMs = Date.now() - contAt;
    expect((await svc.http.get('/api/v1/containers?all=true').set(auth('viewer'))).status).toBe(200);
    await until('the event stream', hubConnected);
    const diverging = await divergence();
    const stuck = await stuckRunning();
    figures.push(
      `hung (SIGSTOP) → list 504 in ${listMs} ms, /readyz 503 in ${readyzMs} ms (timeout ${ENGINE_TIMEOUT_MS} ms); ready ${recoverMs} ms after SIGCONT; divergence ${diverging}; jobs stuck running ${stuck}`,
    );
    expect(diverging).toBe(0);
    expect(stuck).toBe(0);
  } finally {
    if (!resumed) engine.resume();
  }
});
