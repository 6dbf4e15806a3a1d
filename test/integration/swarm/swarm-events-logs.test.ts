import Docker from 'dockerode';
import type { Job } from '../../../src/domain/jobs/job';
import { startTwoNodeSwarm, type TwoNodeSwarm } from '../../../support/two-node-swarm';
import { auth, startService, type TestService } from '../../helpers/service';
import { waitForValue } from '../../helpers/wait-for';
import { testEnv } from '../../../support/test-env';
import { connectWs, type TestSocket } from '../../helpers/ws';

/**
 * A swarm of two MANAGERS, both registered (na, nb), formed through the API: each reports every swarm event, and
 * the events channel must deliver each once. Also the `service-logs` channel (followed output, per task), task logs
 * over REST, and an update the engine pauses (update_paused).
 */
jest.setTimeout(240000);

const REG = testEnv().registry;
const BASE = `${REG}/seed/base:1`;
const A = '/api/v1/engines/na/swarm';

let nodes: TwoNodeSwarm;
let svc: TestService;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90000) => waitForValue(what, fn, timeoutMs);

type Task = { id: string; slot: number; engine: string | null; state: string; desiredState: string };
const tasksOf = async (service: string): Promise<Task[]> => {
  const res = await svc.http.get(`${A}/services/${service}/tasks`).set(auth('viewer'));
  expect(res.status).toBe(200);
  return res.body as Task[];
};
const running = async (service: string) => (await tasksOf(service)).filter((t) => t.desiredState === 'running' && t.state === 'running');

const FAST = {
  updateConfig: { parallelism: 1, delayMs: 0, order: 'stop-first', monitorMs: 1000, failureAction: 'rollback', maxFailureRatio: 0 },
  rollbackConfig: { parallelism: 0, delayMs: 0, order: 'stop-first', monitorMs: 1000, failureAction: 'pause' },
  stopGracePeriodMs: 300,
};

/** Swarm events as the engine itself sends them, on one node's own /events (no dedupe): what the hub receives. */
async function rawSwarmEvents(host: string, since: number): Promise<{ Type: string; Action: string; Actor: { ID: string } }[]> {
  const docker = new Docker({ socketPath: host.replace('unix://', '') });
  const stream = await docker.getEvents({ since, until: Math.ceil(Date.now() / 1000) + 1 });
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string }; scope?: string })
    .filter((e) => e.scope === 'swarm');
}

beforeAll(async () => {
  nodes = await startTwoNodeSwarm({ prefix: 'dkh5e', subnet: 11, registryPort: Number(REG.split(':')[1]) });
  svc = await startService({ ENGINES: nodes.engines() });
  expect((await svc.http.post(`${A}/init`).set(auth('admin')).send({ advertiseAddr: nodes.managerAddr })).status).toBe(201);
  const join = await svc.http
    .post('/api/v1/engines/nb/swarm/join')
    .set(auth('admin'))
    .send({ manager: 'na', role: 'manager', advertiseAddr: nodes.workerAddr });
  expect(join.status).toBe(200);
  expect(join.body.manager).toBe(true);
});

afterAll(async () => {
  await svc?.close();
  await nodes?.destroy();
});

describe('swarm events from two registered managers', () => {
  test('when a service is created, updated and removed, then each of its events comes once although both managers report it', async () => {
    const s = await connectWs(svc.wsUrl, 'viewer');
    const since = Math.floor(Date.now() / 1000) - 1;
    try {
      s.send({ type: 'subscribe', id: 'sw', channel: 'events', filters: { engine: ['*'], type: ['service'] } });
      await s.waitFor((f) => f.id === 'sw' && f.type === 'subscribed');
      const created = await svc.http
        .post(`${A}/services`)
        .set(auth('operator'))
        .send({ name: 'evs', image: BASE, command: ['sleep', '3600'], replicas: 1, ...FAST });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      await until('a running task', async () => ((await running('evs')).length === 1 ? true : undefined));
      const version = (await svc.http.get(`${A}/services/evs`).set(auth('viewer'))).body.version as number;
      const updated = await svc.http
        .post(`${A}/services/evs/update`)
        .set(auth('operator'))
        .set('If-Match', `"${version}"`)
        .send({ env: { ROUND: '2' } });
      expect(updated.status).toBe(202);
      await until('the update job', async () => {
        const j = (await svc.http.get(`/api/v1/jobs/${updated.body.id}`).set(auth('viewer'))).body as Job;
        return ['succeeded', 'failed'].includes(j.state) ? j : undefined;
      });
      expect((await svc.http.delete(`${A}/services/evs`).set(auth('operator'))).status).toBe(204);
      await s.waitFor((f) => f.id === 'sw' && f.type === 'event' && (f.data as { action: string }).action === 'remove', 30000);
      await sleep(1500); // a late copy from the other manager would arrive in this time
      const mine = s.frames
        .filter((f) => f.id === 'sw' && f.type === 'event')
        .map((f) => f.data as { engine: string; action: string; actorId: string; timeNano: string })
        .filter((e) => e.actorId === id);
      const key = (e: { action: string; timeNano: string }) => (e.action === 'remove' ? 'remove' : `${e.action}@${e.timeNano}`);
      expect(mine.filter((e) => e.action === 'create')).toHaveLength(1);
      expect(mine.filter((e) => e.action === 'remove')).toHaveLength(1);
      expect(new Set(mine.map(key)).size).toBe(mine.length);
      for (const e of mine) expect(['na', 'nb']).toContain(e.engine);

      // Both engines did send each of these: the hub dropped the copies.
      const [ra, rb] = await Promise.all([rawSwarmEvents(nodes.a.dockerHost, since), rawSwarmEvents(nodes.b.dockerHost, since)]);
      const ofService = (raw: { Action: string; Actor: { ID: string } }[]) => raw.filter((e) => e.Actor.ID === id);
      expect(ofService(ra).length).toBe(mine.length);
      expect(ofService(rb).length).toBe(mine.length);
      console.log(`service events: ${mine.length} delivered, ${ofService(ra).length + ofService(rb).length} reported by the two managers`);

      // The REST view holds one copy as well: each event under one of the two engines.
      const held = await Promise.all(
        ['na', 'nb'].map(async (engine) => {
          const res = await svc.http.get(`/api/v1/engines/${engine}/events`).query({ type: 'service', limit: 500 }).set(auth('viewer'));
          expect(res.status).toBe(200);
          return (res.body.items as { actorId: string; engine: string }[]).filter((e) => e.actorId === id);
        }),
      );
      expect(held.flat()).toHaveLength(mine.length);
    } finally {
      s.close();
    }
  });
});

describe('service logs, followed', () => {
  let ws: TestSocket;
  beforeAll(async () => {
    const created = await svc.http
      .post(`${A}/services`)
      .set(auth('operator'))
      .send({
        name: 'ticker',
        image: BASE,
        command: ['/bin/sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i from $(hostname)"; sleep 0.3; done'],
        replicas: 2,
        ...FAST,
      });
    expect(created.status).toBe(201);
    await until('2 running tickers on both nodes', async () => {
      const t = await running('ticker');
      return t.length === 2 && new Set(t.map((x) => x.engine)).size === 2 ? t : undefined;
    });
    ws = await connectWs(svc.wsUrl, 'viewer');
  });
  afterAll(() => ws?.close());

  test('when a viewer follows the service, then lines keep coming from both tasks, each naming its task, node and engine', async () => {
    ws.send({ type: 'subscribe', id: 'all', channel: 'service-logs', engine: 'na', service: 'ticker', tail: 0 });
    const subscribed = await ws.waitFor((f) => f.id === 'all' && f.type !== 'log');
    expect(subscribed).toMatchObject({ type: 'subscribed', data: { channel: 'service-logs', service: 'ticker', tail: 0 } });
    const tasks = (await running('ticker')).map((t) => t.id);
    type Line = { taskId: string; nodeId: string; engine: string | null; line: string; timestamp: string | null; stream: string };
    const lines = () => ws.frames.filter((f) => f.id === 'all' && f.type === 'log').map((f) => f.data as Line);
    // Followed: lines written after the subscription, from both tasks (tail 0 sent none of the older ones).
    await until('lines from both tasks', async () => (new Set(lines().map((l) => l.taskId)).size === 2 ? true : undefined), 20000);
    const seen = lines();
    expect(new Set(seen.map((l) => l.taskId))).toEqual(new Set(tasks));
    expect(new Set(seen.map((l) => l.engine))).toEqual(new Set(['na', 'nb']));
    expect(seen.every((l) => /^tick \d+ from [0-9a-f]{12}$/.test(l.line) && l.stream === 'stdout' && l.timestamp && l.nodeId)).toBe(true);
    const first = seen.length;
    await until('more lines', async () => (lines().length >= first + 4 ? true : undefined), 10000);
    ws.send({ type: 'unsubscribe', id: 'all' });
    expect((await ws.waitFor((f) => f.id === 'all' && f.type === 'end')).data).toEqual({ reason: 'unsubscribed' });
  });

  test('when one task is asked for, over the channel and over REST, then only its lines come; a task of no such service is 404 task_not_found', async () => {
    const [one] = await running('ticker');
    ws.send({ type: 'subscribe', id: 'one', channel: 'service-logs', engine: 'na', service: 'ticker', task: one.id, tail: 5 });
    await ws.waitFor((f) => f.id === 'one' && f.type === 'subscribed');
    await until(
      '8 lines of one task',
      async () => (ws.frames.filter((f) => f.id === 'one' && f.type === 'log').length >= 8 ? true : undefined),
      15000,
    );
    const got = ws.frames.filter((f) => f.id === 'one' && f.type === 'log').map((f) => (f.data as { taskId: string }).taskId);
    expect(new Set(got)).toEqual(new Set([one.id]));
    ws.send({ type: 'unsubscribe', id: 'one' });
    await ws.waitFor((f) => f.id === 'one' && f.type === 'end');

    const rest = await svc.http.get(`${A}/services/ticker/logs`).query({ task: one.id, tail: 3 }).set(auth('viewer'));
    expect(rest.status).toBe(200);
    expect(rest.body.lines.length).toBe(3);
    expect(new Set((rest.body.lines as { taskId: string }[]).map((l) => l.taskId))).toEqual(new Set([one.id]));

    const other = await svc.http
      .post(`${A}/services`)
      .set(auth('operator'))
      .send({ name: 'quiet', image: BASE, command: ['sleep', '3600'], replicas: 1, ...FAST });
    expect(other.status).toBe(201);
    const foreign = await until('a task of quiet', async () => (await tasksOf('quiet'))[0]);
    const wrong = await svc.http.get(`${A}/services/ticker/logs`).query({ task: foreign.id }).set(auth('viewer'));
    expect(wrong.status).toBe(404);
    expect(wrong.body.code).toBe('task_not_found');
    ws.send({ type: 'subscribe', id: 'wrong', channel: 'service-logs', engine: 'na', service: 'ticker', task: foreign.id });
    expect((await ws.waitFor((f) => f.id === 'wrong')).data).toMatchObject({ code: 'task_not_found' });
    ws.send({ type: 'subscribe', id: 'bad', channel: 'service-logs', engine: 'na', service: 'ticker', task: '../../etc' });
    expect((await ws.waitFor((f) => f.id === 'bad')).data).toMatchObject({ code: 'invalid_request' });
    ws.send({ type: 'subscribe', id: 'none', channel: 'service-logs', engine: 'na', service: 'nope' });
    expect((await ws.waitFor((f) => f.id === 'none')).data).toMatchObject({ code: 'service_not_found' });
    expect((await svc.http.delete(`${A}/services/quiet`).set(auth('operator'))).status).toBe(204);
  });

  test('when the followed service is removed, then the subscription ends with service_removed', async () => {
    ws.send({ type: 'subscribe', id: 'gone', channel: 'service-logs', engine: 'na', service: 'ticker', tail: 1 });
    await ws.waitFor((f) => f.id === 'gone' && f.type === 'subscribed');
    await ws.waitFor((f) => f.id === 'gone' && f.type === 'log');
    expect((await svc.http.delete(`${A}/services/ticker`).set(auth('operator'))).status).toBe(204);
    const end = await ws.waitFor((f) => f.id === 'gone' && (f.type === 'end' || f.type === 'error'), 30000);
    expect(end).toMatchObject({ type: 'end', data: { reason: 'service_removed' } });
  });
});

describe('an update the engine pauses', () => {
  test('when the update config says pause and the new tasks exit, then the job fails update_paused and the service stays paused', async () => {
    const script = 'if [ -n "$BROKEN" ]; then exit 3; fi; exec sleep 3600';
    const created = await svc.http
      .post(`${A}/services`)
      .set(auth('operator'))
      .send({
        name: 'pauser',
        image: BASE,
        command: ['/bin/sh', '-c', script],
        replicas: 2,
        ...FAST,
        updateConfig: { ...FAST.updateConfig, failureAction: 'pause' },
      });
    expect(created.status).toBe(201);
    await until('2 running pausers', async () => ((await running('pauser')).length === 2 ? true : undefined));
    const res = await svc.http
      .post(`${A}/services/pauser/update`)
      .set(auth('operator'))
      .send({ env: { BROKEN: '1' } });
    expect(res.status).toBe(202);
    const job = await until(
      'the update job to end',
      async () => {
        const j = (await svc.http.get(`/api/v1/jobs/${res.body.id}`).set(auth('viewer'))).body as Job;
        return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      },
      120000,
    );
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('update_paused');
    expect(job.error?.message).toMatch(/pause/i);
    console.log(`paused: ${job.error?.message}`);
    const service = (await svc.http.get(`${A}/services/pauser`).set(auth('viewer'))).body;
    expect(service.updateState).toBe('paused');
    expect((await svc.http.delete(`${A}/services/pauser`).set(auth('operator'))).status).toBe(204);
  });
});
