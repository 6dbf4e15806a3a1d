import type { Job } from '../../../src/domain/jobs/job';
import type { ServerFrame } from '../../../src/ws/protocol';
import { startTwoNodeSwarm, type TwoNodeSwarm } from '../../../support/two-node-swarm';
import { outcome } from '../../helpers/jobs';
import { auth, startService, type TestService } from '../../helpers/service';
import { waitForValue } from '../../helpers/wait-for';
import { testEnv } from '../../../support/test-env';
import { connectWs } from '../../helpers/ws';

/**
 * Services on a real 2-node swarm formed through the API (na manager, nb worker, each engine in a network namespace
 * of its own, pulling from the loopback registry through relays: support/two-node-swarm.ts).
 */
jest.setTimeout(240000);

const REG = testEnv().registry; // 127.0.0.1:<port>
const WEB1 = `${REG}/seed/web:1.39`;
const WEB2 = `${REG}/seed/web:1.43`;
const BASE = `${REG}/seed/base:1`;
const A = '/api/v1/engines/na/swarm';

let nodes: TwoNodeSwarm;
let svc: TestService;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The job once it ended, read over REST (the `job` channel is exercised by the scale test). */
async function finished(jobId: string, timeoutMs = 120000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await svc.http.get(`/api/v1/jobs/${jobId}`).set(auth('viewer'));
    expect(res.status).toBe(200);
    if (['succeeded', 'failed', 'cancelled'].includes(res.body.state)) return res.body as Job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${res.body.state}: ${JSON.stringify(res.body.service)}`);
    await sleep(300);
  }
}

type Task = {
  slot: number;
  engine: string | null;
  state: string;
  desiredState: string;
  upToDate: boolean;
  containerId: string | null;
  error: string | null;
};

const tasksOf = async (service: string): Promise<Task[]> => {
  const res = await svc.http.get(`${A}/services/${service}/tasks`).set(auth('viewer'));
  expect(res.status).toBe(200);
  return res.body as Task[];
};
const runningTasks = async (service: string) => (await tasksOf(service)).filter((t) => t.desiredState === 'running' && t.state === 'running');

const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90000) => waitForValue(what, fn, timeoutMs, 500);

const version = async (service: string): Promise<number> => (await svc.http.get(`${A}/services/${service}`).set(auth('viewer'))).body.version;

/** Rolling updates one task at a time, new before old, judged after 1 s; failures roll back; tasks stop within 300 ms. */
const FAST = {
  updateConfig: { parallelism: 1, delayMs: 0, order: 'start-first', monitorMs: 1000, failureAction: 'rollback', maxFailureRatio: 0 },
  rollbackConfig: { parallelism: 0, delayMs: 0, order: 'stop-first', monitorMs: 1000, failureAction: 'pause' },
  stopGracePeriodMs: 300,
};

beforeAll(async () => {
  nodes = await startTwoNodeSwarm({ prefix: 'dkh5t', subnet: 7, registryPort: Number(REG.split(':')[1]) });
  svc = await startService({ ENGINES: nodes.engines() });
  expect((await svc.http.post(`${A}/init`).set(auth('admin')).send({ advertiseAddr: nodes.managerAddr })).status).toBe(201);
  const join = await svc.http.post('/api/v1/engines/nb/swarm/join').set(auth('admin')).send({ manager: 'na', advertiseAddr: nodes.workerAddr });
  expect(join.status).toBe(200);
});

afterAll(async () => {
  await svc?.close();
  await nodes?.destroy();
});

describe('services on a two-node swarm', () => {
  test('when a service of 2 replicas is created, then its image is pinned to a digest and one task runs on each node', async () => {
    const body = { name: 'web', image: WEB1, replicas: 2, labels: { team: 'a' }, env: { GREETING: 'one' }, ...FAST };
    const created = await svc.http.post(`${A}/services`).set(auth('operator')).set('Idempotency-Key', 'web-1').send(body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'web', mode: 'replicated', desired: 2, labels: { team: 'a' } });
    expect(created.body.image).toMatch(new RegExp(`^${REG.replace(/\./g, '\\.')}/seed/web:1\\.39@sha256:[a-f0-9]{64}$`));
    expect(created.headers.location).toMatch(/\/swarm\/services\//);

    // A retry with the same key answers the first answer, not a name conflict.
    const again = await svc.http.post(`${A}/services`).set(auth('operator')).set('Idempotency-Key', 'web-1').send(body);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(created.body.id);
    const clash = await svc.http.post(`${A}/services`).set(auth('operator')).send(body);
    expect(clash.status).toBe(409);

    const running = await until('2 running tasks', async () => {
      const t = await runningTasks('web');
      return t.length === 2 ? t : undefined;
    });
    expect(new Set(running.map((t) => t.engine))).toEqual(new Set(['na', 'nb']));
    expect(running.every((t) => t.upToDate && t.containerId)).toBe(true);
    expect(running.map((t) => t.slot).sort()).toEqual([1, 2]);
  });

  test('when a create names the host network, a bind outside the allowed paths or a registry not allowed, then it is refused before the engine', async () => {
    const host = await svc.http
      .post(`${A}/services`)
      .set(auth('operator'))
      .send({ name: 'bad1', image: BASE, networks: ['host'] });
    expect(host.status).toBe(403);
    expect(host.body.code).toBe('policy_denied');
    const bind = await svc.http
      .post(`${A}/services`)
      .set(auth('operator'))
      .send({ name: 'bad2', image: BASE, mounts: [{ type: 'bind', source: '/etc', target: '/x' }] });
    expect(bind.status).toBe(403);
    expect(bind.body.code).toBe('policy_denied');
    const reg = await svc.http.post(`${A}/services`).set(auth('operator')).send({ name: 'bad3', image: 'evil.example.com/x:1' });
    expect(reg.status).toBe(403);
    expect(reg.body.code).toBe('registry_not_allowed');
    const caps = await svc.http
      .post(`${A}/services`)
      .set(auth('operator'))
      .send({ name: 'bad4', image: BASE, capAdd: ['SYS_ADMIN'] });
    expect(caps.status).toBe(400);
    const missing = await svc.http
      .post(`${A}/services`)
      .set(auth('operator'))
      .send({ name: 'bad5', image: `${REG}/seed/nothing:1` });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('image_not_found');
    expect((await svc.http.post(`${A}/services`).set(auth('viewer')).send({ name: 'bad6', image: BASE })).status).toBe(403);
    const names = (await svc.http.get(`${A}/services`).set(auth('viewer'))).body.map((s: { name: string }) => s.name);
    expect(names).toEqual(['web']);
  });

  test('when it is scaled 2→4 with its version, then the job follows it on the job channel to 4 running and a stale version is 412', async () => {
    const v = await version('web');
    const stale = await svc.http
      .post(`${A}/services/web/scale`)
      .set(auth('operator'))
      .set('If-Match', `"${v - 1}"`)
      .send({ replicas: 4 });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'precondition_failed' });

    const res = await svc.http.post(`${A}/services/web/scale`).set(auth('operator')).set('If-Match', `"${v}"`).send({ replicas: 4 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'service_scale', engine: 'na', image: 'web' });
    const s = await connectWs(svc.wsUrl, 'viewer');
    try {
      s.send({ type: 'subscribe', id: 'scale', channel: 'job', jobId: res.body.id });
      const end = await s.waitFor((f) => f.id === 'scale' && (f.type === 'end' || f.type === 'error'), 120000);
      const progress = s.frames.filter((f) => f.id === 'scale' && f.type === 'progress') as ServerFrame<Job>[];
      const last = progress[progress.length - 1].data;
      expect(outcome(last)).toEqual({ state: 'succeeded', error: null });
      expect(end.data).toEqual({ reason: 'succeeded' });
      const percents = progress.map((f) => f.data.progress.percent);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(last.progress.percent).toBe(100);
      expect(last.service).toMatchObject({ desired: 4, running: 4, updated: 4 });
      expect(last.service?.slots).toHaveLength(4);
    } finally {
      s.close();
    }
    expect(await runningTasks('web')).toHaveLength(4);
  });

  test('when the image is updated rolling start-first, then the job succeeds with every task on the new image', async () => {
    const res = await svc.http.post(`${A}/services/web/update`).set(auth('operator')).send({ image: WEB2 });
    expect(res.status).toBe(202);
    expect(res.body.kind).toBe('service_update');
    const job = await finished(res.body.id);
    expect(outcome(job)).toEqual({ state: 'succeeded', error: null });
    expect(job.service).toMatchObject({ desired: 4, running: 4, updated: 4, updateState: 'completed', rollback: false });
    const service = (await svc.http.get(`${A}/services/web`).set(auth('viewer'))).body;
    expect(service.image).toMatch(/seed\/web:1\.43@sha256:/);
    expect(service.updateState).toBe('completed');
    const running = await runningTasks('web');
    expect(running).toHaveLength(4);
    expect(running.every((t) => t.upToDate)).toBe(true);
  });

  test('when a manual rollback is asked, then the previous image runs again and the job succeeds', async () => {
    const res = await svc.http.post(`${A}/services/web/rollback`).set(auth('operator')).send();
    expect(res.status).toBe(202);
    expect(res.body.kind).toBe('service_rollback');
    const job = await finished(res.body.id);
    expect(outcome(job)).toEqual({ state: 'succeeded', error: null });
    const service = (await svc.http.get(`${A}/services/web`).set(auth('viewer'))).body;
    expect(service.image).toMatch(/seed\/web:1\.39@sha256:/);
    expect(await runningTasks('web')).toHaveLength(4);
  });

  test('when a service trigger is called with a tag, then the service rolls out on that tag of its repository as a job; the audit says so', async () => {
    const made = await svc.http.post('/api/v1/triggers').set(auth('admin')).send({ service: 'web', engine: 'na' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ action: 'service_update', engine: 'na', target: 'web' });
    const both = await svc.http.post('/api/v1/triggers').set(auth('admin')).send({ service: 'web', container: 'web' });
    expect(both.status).toBe(400);
    // Another repository is refused: the tag alone is the caller's.
    expect((await svc.http.post(`/api/v1/triggers/${made.body.token}`).send({ tag: 'other/repo' })).status).toBe(400);
    const res = await svc.http.post(`/api/v1/triggers/${made.body.token}`).send({ tag: '1.43' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'service_update', engine: 'na', createdBy: `trigger:${made.body.id}` });
    const job = await finished(res.body.id);
    expect(outcome(job)).toEqual({ state: 'succeeded', error: null });
    const service = (await svc.http.get(`${A}/services/web`).set(auth('viewer'))).body;
    expect(service.image).toMatch(/seed\/web:1\.43@sha256:/);
    expect(await runningTasks('web')).toHaveLength(4);
    const audit = await until('the trigger outcome row', async () => {
      const rows = (await svc.http.get('/api/v1/audit').query({ operation: 'trigger.service_update' }).set(auth('admin'))).body.items;
      return rows.length > 0 ? rows : undefined;
    });
    expect(audit[0]).toMatchObject({ engine: 'na', target: 'web', outcome: 'ok', token: `trigger:${made.body.id}` });
    expect((await svc.http.delete(`/api/v1/triggers/by-id/${made.body.id}`).set(auth('admin'))).status).toBe(204);
  });

  test('when the worker node is drained, then its tasks move to the manager; made active again, it takes new tasks', async () => {
    const nodes = (await svc.http.get(`${A}/nodes`).set(auth('viewer'))).body as { id: string; engine: string }[];
    const worker = nodes.find((n) => n.engine === 'nb')!;
    const drained = await svc.http.patch(`${A}/nodes/${worker.id}`).set(auth('admin')).send({ availability: 'drain' });
    expect(drained.status).toBe(200);
    expect(drained.body.availability).toBe('drain');
    const moved = await until('4 running tasks on na', async () => {
      const t = await runningTasks('web');
      return t.length === 4 && t.every((x) => x.engine === 'na') ? t : undefined;
    });
    expect(moved).toHaveLength(4);
    expect((await svc.http.patch(`${A}/nodes/${worker.id}`).set(auth('admin')).send({ availability: 'active' })).status).toBe(200);
  });

  test('when an update makes the tasks exit, then the engine rolls it back and the job fails update_rolled_back with its message', async () => {
    const script = 'if [ -n "$BROKEN" ]; then exit 3; fi; exec sleep 3600';
    const created = await svc.http
      .post(`${A}/services`)
      .set(auth('operator'))
      .send({ name: 'sleeper', image: BASE, command: ['/bin/sh', '-c', script], replicas: 2, ...FAST });
    expect(created.status).toBe(201);
    await until('2 running sleepers', async () => ((await runningTasks('sleeper')).length === 2 ? true : undefined));

    // With BROKEN set, the first new task exits at once: a failure within the monitor period, so the engine rolls back.
    const res = await svc.http
      .post(`${A}/services/sleeper/update`)
      .set(auth('operator'))
      .send({ env: { BROKEN: '1' } });
    expect(res.status).toBe(202);
    // One change job per service and kind at a time: a second request while it runs joins it.
    const joined = await svc.http
      .post(`${A}/services/sleeper/update`)
      .set(auth('operator'))
      .send({ env: { BROKEN: '2' } });
    expect(joined.status).toBe(202);
    expect(joined.body.id).toBe(res.body.id);
    const failed = await finished(res.body.id);
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('update_rolled_back');
    expect(failed.error?.message).toMatch(/roll/i);
    expect(failed.service?.rollback).toBe(true);
    expect(failed.progress.percent).toBeLessThan(100);
    console.log(`rolled back: ${failed.error?.message}`);
    const service = (await svc.http.get(`${A}/services/sleeper`).set(auth('viewer'))).body;
    expect(service.updateState).toBe('rollback_completed');
    const tasks = await tasksOf('sleeper');
    expect(tasks.some((t) => t.state === 'failed' && t.error)).toBe(true);
    expect(await runningTasks('sleeper')).toHaveLength(2);
  });

  test('when a service of 2 replicas writes a line each, then its logs hold both, each naming its task, node and engine', async () => {
    const created = await svc.http
      .post(`${A}/services`)
      .set(auth('operator'))
      .send({ name: 'talker', image: BASE, command: ['/bin/sh', '-c', 'echo "hello from $(hostname)"; exec sleep 3600'], replicas: 2, ...FAST });
    expect(created.status).toBe(201);
    const running = await until('2 running talkers', async () => {
      const t = await runningTasks('talker');
      return t.length === 2 ? t : undefined;
    });
    const logs = await until('2 log lines', async () => {
      const res = await svc.http.get(`${A}/services/talker/logs?timestamps=true&tail=10`).set(auth('viewer'));
      expect(res.status).toBe(200);
      return res.body.lines.length >= 2 ? res.body : undefined;
    });
    expect(logs.truncated).toBe(false);
    const lines = logs.lines as { taskId: string; nodeId: string; engine: string; stream: string; timestamp: string; line: string }[];
    expect(lines.every((l) => /^hello from [0-9a-f]{12}$/.test(l.line) && l.stream === 'stdout' && l.timestamp)).toBe(true);
    expect(new Set(lines.map((l) => l.engine))).toEqual(new Set(['na', 'nb']));
    expect(new Set(lines.map((l) => l.taskId))).toEqual(
      new Set((await tasksOf('talker')).filter((t) => t.state === 'running').map((t) => (t as unknown as { id: string }).id)),
    );
    expect(running).toHaveLength(2);
  });

  test('when a service is removed, then its tasks go and it is 404', async () => {
    for (const name of ['web', 'sleeper', 'talker']) expect((await svc.http.delete(`${A}/services/${name}`).set(auth('operator'))).status).toBe(204);
    const gone = await svc.http.get(`${A}/services/web/tasks`).set(auth('viewer'));
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('service_not_found');
    const none = await svc.http.post(`${A}/services/web/rollback`).set(auth('operator')).send();
    expect(none.status).toBe(404);
  });
});
