import { auth, startService, type TestService } from '../../helpers/service';
import { startPrivateEngine, type PrivateEngine } from '../../../support/private-engine';

/**
 * A real 2-node swarm formed through the API: two private engines, each in a network namespace of its own, joined by
 * a veth pair (10.232.6.1 in na's namespace, 10.232.6.2 in nb's). nb joins na's swarm by name, the token staying
 * inside the service; then by addresses and a token the admin read.
 */
jest.setTimeout(120000);

let na: PrivateEngine;
let nb: PrivateEngine;
let svc: TestService;
const A = '/api/v1/engines/na/swarm';
const B = '/api/v1/engines/nb/swarm';
const state = (e: PrivateEngine) => e.cli(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}']).trim().split(' ');

beforeAll(async () => {
  na = await startPrivateEngine('pe-busybox:1', { netns: { name: 'dkh5sa', hostAddr: '10.232.5.1', addr: '10.232.5.2' } });
  nb = await startPrivateEngine('pe-busybox:1', { netns: { name: 'dkh5sb', link: 'dkh5sa', hostAddr: '10.232.6.1', addr: '10.232.6.2' } });
  svc = await startService({ ENGINES: `na=${na.dockerHost},nb=${nb.dockerHost}` });
});
afterAll(async () => {
  await svc?.close();
  for (const e of [nb, na]) {
    try {
      e?.cli(['swarm', 'leave', '--force']);
    } catch {
      // not in a swarm
    }
  }
  await nb?.destroy();
  await na?.destroy();
});

describe('a two-node swarm formed through the API', () => {
  test('when nb joins na by name, then the join token never reaches the client and na lists both nodes with their engines', async () => {
    const init = await svc.http.post(`${A}/init`).set(auth('admin')).send({ advertiseAddr: '10.232.6.1' });
    expect(init.status).toBe(201);

    expect((await svc.http.post(`${B}/join`).set(auth('operator')).send({ manager: 'na' })).status).toBe(403);
    const join = await svc.http.post(`${B}/join`).set(auth('admin')).send({ manager: 'na', role: 'worker', advertiseAddr: '10.232.6.2' });
    expect(join.status).toBe(200);
    expect(join.text).not.toMatch(/SWMTKN/);
    expect(join.body).toMatchObject({ manager: false });
    expect(join.body.nodeId).toBe(state(nb)[1]);

    const nodes = await svc.http.get(`${A}/nodes`).set(auth('viewer'));
    expect(nodes.status).toBe(200);
    const byEngine = Object.fromEntries(nodes.body.map((n: { engine: string }) => [n.engine, n]));
    expect(byEngine.na).toMatchObject({ id: state(na)[1], role: 'manager', leader: true, address: '10.232.6.1' });
    expect(byEngine.nb).toMatchObject({ id: state(nb)[1], role: 'worker', leader: false });

    const swarm = await svc.http.get(A).set(auth('viewer'));
    expect(swarm.body.nodes).toMatchObject({ total: 2, managers: 1, workers: 1 });

    const onWorker = await svc.http.get(B).set(auth('viewer'));
    expect(onWorker.status).toBe(409);
    expect(onWorker.body.code).toBe('not_swarm_manager');
    const again = await svc.http.post(`${B}/join`).set(auth('admin')).send({ manager: 'na' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('swarm_already_active');
  });

  test('when the worker leaves and joins again by address and token, then it is a manager of the same swarm', async () => {
    const left = await svc.http.post(`${B}/leave`).set(auth('admin'));
    expect(left.status).toBe(204);
    expect(state(nb)[0]).toBe('inactive');

    const tokens = (await svc.http.get(`${A}/join-tokens`).set(auth('admin'))).body;
    const join = await svc.http
      .post(`${B}/join`)
      .set(auth('admin'))
      .send({ remoteAddrs: ['10.232.6.1:2377'], joinToken: tokens.manager, advertiseAddr: '10.232.6.2' });
    expect(join.status).toBe(200);
    expect(join.body.manager).toBe(true);
    const onB = await svc.http.get(B).set(auth('viewer'));
    expect(onB.status).toBe(200);
    expect(onB.body.id).toBe((await svc.http.get(A).set(auth('viewer'))).body.id);
  });
});
