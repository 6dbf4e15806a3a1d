import { auth, startService, type TestService } from '../helpers/service';
import { containerExists, containerRun, engine } from '../helpers/containers';
import { seed } from '../../support/test-env';

let svc: TestService;
const run = containerRun('life');
const web = run.name('web');

beforeAll(async () => {
  svc = await startService();
  const res = await svc.http
    .post('/api/v1/containers')
    .set(auth('admin'))
    .send({ image: seed.web143(), name: web, labels: run.labels, env: { SECRET_TOKEN: 's3cr3t-value', PLAIN: 'x' } });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await run.cleanup();
  await svc.close();
});

type Role = 'viewer' | 'operator' | 'admin';
const act = (id: string, action: string, role: Role = 'operator', query: Record<string, string | number> = {}) =>
  svc.http.post(`/api/v1/containers/${id}/${action}`).query(query).set(auth(role));
const engineState = async (id: string) => (await engine().getContainer(id).inspect()).State;

describe('inspect', () => {
  test.each(['viewer', 'operator'] as const)('when a %s inspects, then env names show but their values are redacted', async (role) => {
    const res = await svc.http.get(`/api/v1/containers/${web}`).set(auth(role));
    expect(res.status).toBe(200);
    expect(res.body.envRedacted).toBe(true);
    expect(res.body.config.env).toEqual(expect.arrayContaining(['SECRET_TOKEN=***', 'PLAIN=***']));
    expect(JSON.stringify(res.body)).not.toContain('s3cr3t-value');
  });

  test('when an admin inspects, then env values are shown, with state, config, network and ports', async () => {
    const res = await svc.http.get(`/api/v1/containers/${web}`).set(auth('admin'));
    expect(res.body.envRedacted).toBe(false);
    expect(res.body.config.env).toContain('SECRET_TOKEN=s3cr3t-value');
    expect(res.body).toMatchObject({ name: web, image: seed.web143(), state: { status: 'running', running: true } });
    expect(res.body.config.exposedPorts).toEqual(['80/tcp']);
    expect(res.body.networkSettings.networks.bridge.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  test('when the container does not exist, then 404 container_not_found', async () => {
    const res = await svc.http.get(`/api/v1/containers/${run.name('nobody')}`).set(auth('viewer'));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('container_not_found');
  });

  test.each(['..%2Fetc', 'a%3Fb', 'x', '-dash', 'a%2Fb'])('when the id is %s, then 400 before any engine call', async (bad) => {
    const res = await svc.http.get(`/api/v1/containers/${bad}`).set(auth('viewer'));
    expect(res.status).toBe(400);
  });
});

describe('lifecycle', () => {
  test('when starting a running container, then 200 with changed false', async () => {
    const res = await act(web, 'start');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: web, action: 'start', changed: false, state: { running: true } });
  });

  test('when stopping twice, then the first stops it and the second is a success that changed nothing', async () => {
    const first = await act(web, 'stop', 'operator', { timeout: 1 });
    expect(first.body).toMatchObject({ changed: true, state: { running: false, status: 'exited' } });
    expect((await engineState(web)).Running).toBe(false);
    const second = await act(web, 'stop', 'operator', { timeout: 1 });
    expect(second.status).toBe(200);
    expect(second.body.changed).toBe(false);
  });

  test('when started again and restarted, then it runs with a new start time', async () => {
    const started = await act(web, 'start');
    expect(started.body).toMatchObject({ changed: true, state: { running: true } });
    const restarted = await act(web, 'restart', 'operator', { timeout: 1 });
    expect(restarted.status).toBe(200);
    expect(restarted.body.state.running).toBe(true);
    expect(Date.parse(restarted.body.state.startedAt)).toBeGreaterThan(Date.parse(started.body.state.startedAt));
  });

  test('when pausing and unpausing twice each, then the repeats are successes that changed nothing', async () => {
    expect((await act(web, 'pause')).body).toMatchObject({ changed: true, state: { paused: true, status: 'paused' } });
    expect((await engineState(web)).Paused).toBe(true);
    expect((await act(web, 'pause')).body).toMatchObject({ changed: false, state: { paused: true } });
    expect((await act(web, 'unpause')).body).toMatchObject({ changed: true, state: { paused: false, running: true } });
    expect((await act(web, 'unpause')).body).toMatchObject({ changed: false, state: { paused: false } });
  });

  test('when killed with a signal, then it exits; killing again is 409 container_not_running', async () => {
    const res = await act(web, 'kill', 'operator', { signal: 'SIGKILL' });
    expect(res.status).toBe(200);
    expect(res.body.state.running).toBe(false);
    expect(res.body.state.exitCode).toBe(137);
    const again = await act(web, 'kill', 'operator', { signal: 'SIGKILL' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('container_not_running');
  });

  test('when the signal is not a signal, then 400', async () => {
    expect((await act(web, 'kill', 'operator', { signal: 'KILL;rm' })).status).toBe(400);
  });

  test('when a viewer starts or an operator renames or removes, then 403', async () => {
    expect((await act(web, 'start', 'viewer')).status).toBe(403);
    expect((await svc.http.post(`/api/v1/containers/${web}/rename`).set(auth('operator')).send({ name: 'other-name' })).status).toBe(403);
    expect((await svc.http.delete(`/api/v1/containers/${web}`).set(auth('operator'))).status).toBe(403);
    expect((await engineState(web)).Running).toBe(false);
  });
});

describe('rename and remove', () => {
  test('when renamed, then the new name finds it and the old one does not; a taken name is 409', async () => {
    const other = run.name('other');
    expect(
      (await svc.http.post('/api/v1/containers').set(auth('admin')).send({ image: seed.web143(), name: other, labels: run.labels, start: false }))
        .status,
    ).toBe(201);
    const renamed = run.name('renamed');
    const res = await svc.http.post(`/api/v1/containers/${web}/rename`).set(auth('admin')).send({ name: renamed });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ action: 'rename', name: renamed, changed: true });
    expect(await containerExists(web)).toBe(false);
    expect(await containerExists(renamed)).toBe(true);
    const taken = await svc.http.post(`/api/v1/containers/${renamed}/rename`).set(auth('admin')).send({ name: other });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('name_conflict');
  });

  test('when removing a running container without force, then 409 container_running; with force it is gone', async () => {
    const renamed = run.name('renamed');
    await act(renamed, 'start');
    const refused = await svc.http.delete(`/api/v1/containers/${renamed}`).set(auth('admin'));
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('container_running');
    expect(await containerExists(renamed)).toBe(true);
    const forced = await svc.http.delete(`/api/v1/containers/${renamed}`).query({ force: true, volumes: true }).set(auth('admin'));
    expect(forced.status).toBe(204);
    expect(await containerExists(renamed)).toBe(false);
  });
});
