import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { containerRun, engine } from '../../helpers/containers';
import { startProxiedService, type ProxiedService } from '../../helpers/proxied-service';
import { auth } from '../../helpers/service';
import { seed } from '../../../support/test-env';
import { waitFor } from '../../helpers/wait-for';

// Issue 13.3 and 13.9 against the real engine: binds are checked by their real path (the symlink attack, end to
// end), read-only unless their root is marked :rw; every container gets no-new-privileges and a pids limit; host
// ports below 1024 and host addresses not allowed are refused before any engine call.
jest.setTimeout(60_000);
const run = containerRun('create-policy');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-policy-'));
const rwRoot = path.join(base, 'rw');
const roRoot = path.join(base, 'ro');
let p: ProxiedService;

beforeAll(async () => {
  fs.mkdirSync(rwRoot);
  fs.mkdirSync(path.join(roRoot, 'conf'), { recursive: true });
  p = await startProxiedService({ ALLOWED_BIND_PATHS: `${rwRoot}:rw,${roRoot}`, ALLOWED_REGISTRIES: seed.base().split('/')[0] });
});
afterAll(async () => {
  await run.cleanup();
  await p?.close();
  fs.rmSync(base, { recursive: true, force: true });
});

const create = (name: string, body: Record<string, unknown>) =>
  p.calls(() =>
    p.svc.http
      .post('/api/v1/containers')
      .set(auth('admin'))
      .send({ image: seed.base(), name: run.name(name), labels: run.labels, ...body }),
  );

async function runToExit(id: string): Promise<string> {
  const c = engine().getContainer(id);
  await waitFor(async () => !(await c.inspect()).State.Running, 20_000, 100);
  return (await c.logs({ stdout: true, stderr: true })).toString('latin1');
}

describe('bind paths are checked where they really lead', () => {
  test('when container A plants a symlink to /etc in a writable allowed dir, then binding <dir>/link for container B is 400 bind_path_escapes with no engine call', async () => {
    const a = await create('planter', { cmd: ['/bin/busybox', 'ln', '-s', '/etc', '/data/link'], binds: [{ source: rwRoot, target: '/data' }] });
    expect(a.result.status).toBe(201);
    await runToExit(a.result.body.id);
    expect(fs.readlinkSync(path.join(rwRoot, 'link'))).toBe('/etc');

    const b = await create('victim', { cmd: ['/bin/busybox', 'cat', '/host/shadow'], binds: [{ source: `${rwRoot}/link`, target: '/host' }] });
    expect(b.result.status).toBe(400);
    expect(b.result.body.code).toBe('bind_path_escapes');
    expect(b.calls).toEqual([]);
    // Through the link into a directory below it, too.
    const c = await create('victim2', { binds: [{ source: `${rwRoot}/link/ssl`, target: '/host' }], start: false });
    expect([c.result.status, c.result.body.code, c.calls.length]).toEqual([400, 'bind_path_escapes', 0]);
  });

  test('when a bind is under a root not marked :rw, then it is read-only even if asked writable; under a :rw root, as asked', async () => {
    const ro = await create('ro', { binds: [{ source: `${roRoot}/conf`, target: '/conf', readOnly: false }], start: false });
    expect(ro.result.status).toBe(201);
    const rw = await create('rw', { binds: [{ source: rwRoot, target: '/data', readOnly: false }], start: false });
    expect(rw.result.status).toBe(201);
    const mountsOf = async (id: string) => (await engine().getContainer(id).inspect()).Mounts.map((m) => ({ source: m.Source, rw: m.RW }));
    expect(await mountsOf(ro.result.body.id)).toEqual([{ source: `${roRoot}/conf`, rw: false }]);
    expect(await mountsOf(rw.result.body.id)).toEqual([{ source: rwRoot, rw: true }]);
    expect(ro.result.body.mounts).toContainEqual({ type: 'bind', source: `${roRoot}/conf`, destination: '/conf', readOnly: true });
  });

  test('when a bind source does not exist, then 400 before any engine call', async () => {
    const res = await create('absent', { binds: [{ source: `${rwRoot}/absent`, target: '/x' }] });
    expect([res.result.status, res.result.body.code, res.calls.length]).toEqual([400, 'invalid_request', 0]);
  });
});

describe('create defaults', () => {
  test('when a container is created, then it has no-new-privileges and the default pids limit, and its process sees NoNewPrivs', async () => {
    const res = await create('defaults', { cmd: ['/bin/busybox', 'cat', '/proc/self/status'] });
    expect(res.result.status).toBe(201);
    const info = await engine().getContainer(res.result.body.id).inspect();
    expect(info.HostConfig.SecurityOpt).toEqual(['no-new-privileges']);
    expect(info.HostConfig.PidsLimit).toBe(512);
    expect(await runToExit(res.result.body.id)).toMatch(/NoNewPrivs:\s+1/);
  });

  test.each([
    ['host port 80', { containerPort: 80, hostPort: 80 }],
    ['host port 1023', { containerPort: 80, hostPort: 1023 }],
    ['host address 10.1.2.3', { containerPort: 80, hostPort: 18080, hostIp: '10.1.2.3' }],
    ['host address ::', { containerPort: 80, hostIp: '::' }],
  ])('when the request publishes on %s, then 403 policy_denied and no engine call', async (_what, port) => {
    const res = await create('port', { ports: [port] });
    expect([res.result.status, res.result.body.code, res.calls.length]).toEqual([403, 'policy_denied', 0]);
  });
});
