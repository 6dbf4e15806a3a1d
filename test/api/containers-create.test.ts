import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { auth, startService, type TestService } from '../helpers/service';
import { containerExists, containerRun, engine, freePort } from '../helpers/containers';
import { startEngineProxy, type EngineProxy } from '../helpers/engine-proxy';
import { coldImage, seed, testEnv } from '../../support/test-env';

let svc: TestService;
let proxy: EngineProxy;
const run = containerRun('create');
const bindRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-ct-binds-'));

beforeAll(async () => {
  proxy = await startEngineProxy(testEnv().socketPath);
  svc = await startService({ DOCKER_HOST: proxy.dockerHost, ALLOWED_BIND_PATHS: bindRoot });
});
afterAll(async () => {
  await run.cleanup();
  await engine()
    .getImage(coldImage('c', '1'))
    .remove({ force: true })
    .catch(() => undefined);
  await svc.close();
  await proxy.close();
  fs.rmSync(bindRoot, { recursive: true, force: true });
});

const post = (body: Record<string, unknown>, role: 'admin' | 'operator' | 'viewer' = 'admin') =>
  svc.http.post('/api/v1/containers').set(auth(role)).send(body);
const web = (what: string, extra: Record<string, unknown> = {}) => ({ image: seed.web143(), name: run.name(what), labels: run.labels, ...extra });
/** Engine requests other than the long-lived event stream some services keep open. */
const engineCalls = (from: number) => proxy.requests.slice(from).filter((r) => !r.path.includes('/events'));

describe('create policy', () => {
  test.each([
    ['privileged', { privileged: true }, 400],
    ['a raw hostConfig', { hostConfig: { Privileged: true } }, 400],
    ['the engine HostConfig', { HostConfig: { NetworkMode: 'host' } }, 400],
    ['capAdd', { capAdd: ['SYS_ADMIN'] }, 400],
    ['devices', { devices: [{ pathOnHost: '/dev/sda' }] }, 400],
    ['securityOpt', { securityOpt: ['seccomp=unconfined'] }, 400],
    ['pid host', { pid: 'host' }, 400],
    ['ipc host', { ipc: 'host' }, 400],
    ['a field inside ports', { ports: [{ containerPort: 80, privileged: true }] }, 400],
    ['a host path as a volume name', { volumes: [{ name: '/etc', target: '/x' }] }, 400],
    ['network container:x', { network: 'container:abc' }, 400],
    ['network host', { network: 'host' }, 403],
    ['a bind outside the allowlist', { binds: [{ source: '/etc', target: '/host-etc' }] }, 403],
    ['a bind escaping the allowlist with ..', { binds: [{ source: `${bindRoot}/../../etc`, target: '/x' }] }, 400],
  ])('when the body has %s, then it is refused and the engine is never called', async (_what, extra, status) => {
    const before = proxy.requests.length;
    const res = await post(web('refused', extra));
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(status === 403 ? 'policy_denied' : 'invalid_request');
    // A policy refusal of an admin's request is not a role problem: its title must not say so.
    if (status === 403) expect(res.body.title).not.toMatch(/role/);
    expect(engineCalls(before)).toEqual([]);
  });

  test.each(['operator', 'viewer'] as const)('when a %s token creates, then 403 and no engine call', async (role) => {
    const before = proxy.requests.length;
    const res = await post(web('by-role'), role);
    expect(res.status).toBe(403);
    expect(engineCalls(before)).toEqual([]);
  });

  test('when a bind is under an allowed path, then the container gets it, read-only as asked', async () => {
    fs.writeFileSync(path.join(bindRoot, 'hello.txt'), 'from host');
    const res = await post(web('bind', { binds: [{ source: bindRoot, target: '/data', readOnly: true }] }));
    expect(res.status).toBe(201);
    expect(res.body.mounts).toContainEqual({ type: 'bind', source: bindRoot, destination: '/data', readOnly: true });
  });

  test('when the engine request is made, then the body never travels in the URL (env values stay out of it)', async () => {
    const before = proxy.requests.length;
    const res = await post(web('env-url', { env: { SECRET: 'do-not-log-me' }, start: false }));
    expect(res.status).toBe(201);
    const create = engineCalls(before).find((r) => r.path.startsWith('/containers/create'));
    expect(create?.path).toBe(`/containers/create?name=${run.name('env-url')}`);
  });
});

describe('create conflicts', () => {
  test('when the name is taken, then 409 name_conflict', async () => {
    expect((await post(web('dup', { start: false }))).status).toBe(201);
    const res = await post(web('dup', { start: false }));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('name_conflict');
  });

  test('when another container holds the host port, then 409 port_conflict and no container is left', async () => {
    const port = await freePort();
    expect((await post(web('port-a', { ports: [{ containerPort: 80, hostPort: port }] }))).status).toBe(201);
    const res = await post(web('port-b', { ports: [{ containerPort: 80, hostPort: port }] }));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('port_conflict');
    expect(res.body.ports).toEqual([{ hostPort: port, protocol: 'tcp' }]);
    expect(await containerExists(run.name('port-b'))).toBe(false);
  });

  test('when a host process holds the port, then 409 port_conflict and no container is left', async () => {
    const holder = net.createServer();
    const port = await new Promise<number>((r) => holder.listen(0, '0.0.0.0', () => r((holder.address() as net.AddressInfo).port)));
    try {
      const res = await post(web('port-host', { ports: [{ containerPort: 80, hostPort: port }] }));
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('port_conflict');
      expect(await containerExists(run.name('port-host'))).toBe(false);
    } finally {
      holder.close();
    }
  });
});

describe('Idempotency-Key', () => {
  test('when the same key and body are sent twice, then the same answer comes back and one container exists', async () => {
    const body = web('idem', { start: false });
    const first = await post(body).set('Idempotency-Key', `k-${run.id}-1`);
    const second = await post(body).set('Idempotency-Key', `k-${run.id}-1`);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const named = await engine().listContainers({ all: true, filters: JSON.stringify({ name: [run.name('idem')] }) });
    expect(named).toHaveLength(1);
  });

  test('when the same key comes with another body, then 422 idempotency_mismatch', async () => {
    expect((await post(web('idem2', { start: false })).set('Idempotency-Key', `k-${run.id}-2`)).status).toBe(201);
    const res = await post(web('idem2-other', { start: false })).set('Idempotency-Key', `k-${run.id}-2`);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('idempotency_mismatch');
    expect(await containerExists(run.name('idem2-other'))).toBe(false);
  });

  test('when a duplicate arrives while the first is still running, then 409 idempotency_in_progress', async () => {
    // pull: always makes the first request go through a pull job, so it is still in flight when the second lands.
    const body = web('idem3', { start: false, pull: 'always' });
    const first = post(body)
      .set('Idempotency-Key', `k-${run.id}-3`)
      .then((r) => r);
    await new Promise((r) => setTimeout(r, 20));
    const second = await post(body).set('Idempotency-Key', `k-${run.id}-3`);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('idempotency_in_progress');
    expect((await first).status).toBe(201);
  });
});

describe('pull policy', () => {
  const cold = coldImage('c', '1');

  test('when the image is absent and pull is never, then 404 image_not_found and nothing is created', async () => {
    await engine()
      .getImage(cold)
      .remove({ force: true })
      .catch(() => undefined);
    const res = await post({ image: cold, name: run.name('never'), labels: run.labels, pull: 'never' });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('image_not_found');
    expect(await containerExists(run.name('never'))).toBe(false);
  });

  test('when the image is absent and pull is missing, then it is pulled through a job and the container runs', async () => {
    const before = proxy.requests.length;
    const res = await post({ image: cold, name: run.name('missing'), labels: run.labels, entrypoint: ['sleep', '600'] });
    expect(res.status).toBe(201);
    expect(res.body.state.running).toBe(true);
    expect(engineCalls(before).some((r) => r.method === 'POST' && r.path.startsWith('/images/create'))).toBe(true);
    expect((await engine().getImage(cold).inspect()).Id).toBe(res.body.imageId);
  });
});
