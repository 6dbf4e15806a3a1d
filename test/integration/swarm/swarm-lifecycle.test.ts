import { auth, startService, type TestService } from '../../helpers/service';
import { startPrivateEngine, type PrivateEngine } from '../../../support/private-engine';

/**
 * Swarm mode through the API, on a private engine of the test's own (the shared test engine never joins a swarm):
 * init, state without tokens, tokens for admins only and rotated, nodes with the registered engine that is each,
 * node updates with the version check, and leave refused for the last manager without force.
 */
jest.setTimeout(90000);

let engine: PrivateEngine;
let svc: TestService;
const base = '/api/v1/engines/sw/swarm';

beforeAll(async () => {
  engine = await startPrivateEngine();
  svc = await startService({ ENGINES: `sw=${engine.dockerHost}` });
});
afterAll(async () => {
  await svc?.close();
  try {
    engine?.cli(['swarm', 'leave', '--force']);
  } catch {
    // not in a swarm (the test's own leave ran)
  }
  await engine?.destroy();
});

describe('swarm lifecycle on a registered engine', () => {
  test('when the engine is not in a swarm, then reads answer 409 swarm_inactive and leave is refused the same way', async () => {
    for (const path of ['', '/nodes', '/join-tokens']) {
      const res = await svc.http.get(`${base}${path}`).set(auth('admin'));
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('swarm_inactive');
    }
    const leave = await svc.http.post(`${base}/leave`).set(auth('admin'));
    expect(leave.status).toBe(409);
    expect(leave.body.code).toBe('swarm_inactive');
  });

  test('when an operator asks to init, then 403 and the engine stays out of a swarm', async () => {
    const res = await svc.http.post(`${base}/init`).set(auth('operator')).send({ advertiseAddr: '127.0.0.1' });
    expect(res.status).toBe(403);
    expect(engine.cli(['info', '--format', '{{.Swarm.LocalNodeState}}']).trim()).toBe('inactive');
  });

  test('when an admin inits the swarm, then its state has one ready manager and no token, and a second init is 409 swarm_already_active', async () => {
    const init = await svc.http.post(`${base}/init`).set(auth('admin')).send({ advertiseAddr: '127.0.0.1' });
    expect(init.status).toBe(201);
    expect(init.body.nodes).toEqual({ total: 1, managers: 1, workers: 0, ready: 1 });
    const engineNode = engine.cli(['info', '--format', '{{.Swarm.NodeID}}']).trim();
    expect(init.body.nodeId).toBe(engineNode);
    expect(init.body.id).toBe(engine.cli(['info', '--format', '{{.Swarm.Cluster.ID}}']).trim());

    const state = await svc.http.get(base).set(auth('viewer'));
    expect(state.status).toBe(200);
    expect(JSON.stringify(state.body)).not.toMatch(/SWMTKN/);
    expect(state.body.id).toBe(init.body.id);

    const again = await svc.http.post(`${base}/init`).set(auth('admin')).send({ advertiseAddr: '127.0.0.1' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('swarm_already_active');
  });

  test("when join tokens are read, then only an admin gets them, and they equal the engine's; rotating the worker token changes only it", async () => {
    expect((await svc.http.get(`${base}/join-tokens`).set(auth('operator'))).status).toBe(403);
    const tokens = await svc.http.get(`${base}/join-tokens`).set(auth('admin'));
    expect(tokens.status).toBe(200);
    expect(tokens.body.worker).toBe(engine.cli(['swarm', 'join-token', '-q', 'worker']).trim());
    expect(tokens.body.manager).toBe(engine.cli(['swarm', 'join-token', '-q', 'manager']).trim());

    expect((await svc.http.post(`${base}/join-tokens/rotate`).set(auth('operator')).send({ worker: true })).status).toBe(403);
    const rotated = await svc.http.post(`${base}/join-tokens/rotate`).set(auth('admin')).send({ worker: true });
    expect(rotated.status).toBe(200);
    expect(rotated.body.worker).not.toBe(tokens.body.worker);
    expect(rotated.body.manager).toBe(tokens.body.manager);
    expect(rotated.body.worker).toBe(engine.cli(['swarm', 'join-token', '-q', 'worker']).trim());
  });

  test('when nodes are listed, then the one node is the registered engine `sw`, a leader manager, ready and active', async () => {
    const list = await svc.http.get(`${base}/nodes`).set(auth('viewer'));
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    const [node] = list.body;
    expect(node).toMatchObject({ role: 'manager', availability: 'active', state: 'ready', leader: true, engine: 'sw', address: '127.0.0.1' });
    expect(node.engineVersion).toBe(engine.cli(['version', '--format', '{{.Server.Version}}']).trim());

    const one = await svc.http.get(`${base}/nodes/${node.id}`).set(auth('viewer'));
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(node.id);
    const missing = await svc.http.get(`${base}/nodes/nosuchnode0123456789abcde`).set(auth('viewer'));
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('node_not_found');
  });

  test('when a node is drained and labelled, then the engine has it so; a change on a stale version is 409 version_conflict', async () => {
    const [node] = (await svc.http.get(`${base}/nodes`).set(auth('viewer'))).body;
    expect((await svc.http.patch(`${base}/nodes/${node.id}`).set(auth('operator')).send({ availability: 'drain' })).status).toBe(403);
    const drained = await svc.http
      .patch(`${base}/nodes/${node.id}`)
      .set(auth('admin'))
      .send({ availability: 'drain', labels: { zone: 'a' }, version: node.version });
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({ availability: 'drain', labels: { zone: 'a' }, role: 'manager' });
    expect(drained.body.version).toBeGreaterThan(node.version);
    expect(engine.cli(['node', 'inspect', node.id, '--format', '{{.Spec.Availability}} {{.Spec.Labels.zone}}']).trim()).toBe('drain a');

    const stale = await svc.http.patch(`${base}/nodes/${node.id}`).set(auth('admin')).send({ availability: 'active', version: node.version });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('version_conflict');
    expect(engine.cli(['node', 'inspect', node.id, '--format', '{{.Spec.Availability}}']).trim()).toBe('drain');

    const back = await svc.http.patch(`${base}/nodes/${node.id}`).set(auth('admin')).send({ availability: 'active' });
    expect(back.status).toBe(200);
    expect(back.body.availability).toBe('active');
  });

  test('when a service runs 2 replicas, then it is listed and inspected with its task counts, and removed by an operator', async () => {
    engine.cli(['service', 'create', '-d', '--name', 'web', '--replicas', '2', '--stop-grace-period', '1s', 'pe-busybox:1', 'sleep', '300']);
    const deadline = Date.now() + 60000;
    let listed: { name: string; running: number }[] = [];
    while (Date.now() < deadline) {
      const res = await svc.http.get(`${base}/services`).set(auth('viewer'));
      expect(res.status).toBe(200);
      listed = res.body;
      if (listed[0]?.running === 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: 'web', mode: 'replicated', desired: 2, running: 2, updateState: null });

    const byName = await svc.http.get(`${base}/services/web`).set(auth('viewer'));
    expect(byName.status).toBe(200);
    expect(byName.body.image).toMatch(/^pe-busybox:1/);
    const byId = await svc.http.get(`${base}/services/${byName.body.id}`).set(auth('viewer'));
    expect(byId.body).toMatchObject({ id: byName.body.id, name: 'web', desired: 2 });
    const missing = await svc.http.get(`${base}/services/nosuchservice`).set(auth('viewer'));
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('service_not_found');

    expect((await svc.http.delete(`${base}/services/web`).set(auth('viewer'))).status).toBe(403);
    expect((await svc.http.delete(`${base}/services/web`).set(auth('operator'))).status).toBe(204);
    expect(engine.cli(['service', 'ls', '-q']).trim()).toBe('');
    const gone = await svc.http.delete(`${base}/services/web`).set(auth('operator'));
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('service_not_found');
  });

  test('when the last manager leaves without force, then 409 swarm_last_manager and the swarm stays; with force it leaves', async () => {
    const refused = await svc.http.post(`${base}/leave`).set(auth('admin'));
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('swarm_last_manager');
    expect(engine.cli(['info', '--format', '{{.Swarm.LocalNodeState}}']).trim()).toBe('active');

    const left = await svc.http.post(`${base}/leave?force=true`).set(auth('admin'));
    expect(left.status).toBe(204);
    expect(engine.cli(['info', '--format', '{{.Swarm.LocalNodeState}}']).trim()).toBe('inactive');
  });
});
