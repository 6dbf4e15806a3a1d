import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { DockerHubSearch } from '../../src/engine/docker-hub-search';
import { auth, startService, type TestService } from '../helpers/service';
import { testEnv } from '../../support/test-env';

let svc: TestService;
let dataDir: string;

beforeAll(async () => {
  // Stored registry logins go to a folder of this file's own, not the shared default.
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-search-'));
  svc = await startService({ DATA_DIR: dataDir });
});
afterAll(async () => {
  await svc.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /api/v1/images/search (Docker Hub through the engine)', () => {
  test('when Docker Hub cannot be reached, then 502 registry_unreachable comes fast, never a hang', async () => {
    const started = Date.now();
    const res = await svc.http.get('/api/v1/images/search?term=busybox&limit=5').set(auth('viewer'));
    const elapsed = Date.now() - started;
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('registry_unreachable');
    expect(res.body.detail).toMatch(/Docker Hub/);
    // The service's own bound is 6 s; generous here so a loaded CI machine does not make this flaky.
    expect(elapsed).toBeLessThan(10000);
  });

  test('when the engine hangs on a Hub search (a black-holed route), then dockerode is aborted at the bound', async () => {
    // An "engine" that accepts the request and never answers, like a daemon stuck dialing Docker Hub.
    const sock = path.join(dataDir, 'hung.sock');
    const held: net.Socket[] = [];
    const hung = net.createServer((s) => held.push(s));
    await new Promise<void>((resolve) => hung.listen(sock, resolve));
    try {
      const started = Date.now();
      await expect(new DockerHubSearch(new Docker({ socketPath: sock })).search('busybox', 5, 300)).rejects.toMatchObject({
        code: 'registry_unreachable',
      });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(held.length).toBe(1);
    } finally {
      held.forEach((s) => s.destroy());
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  test('when no term is given for Docker Hub, then 400', async () => {
    const res = await svc.http.get('/api/v1/images/search').set(auth('viewer'));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_request');
  });

  test('when docker.io is not allowed, then 403 registry_not_allowed', async () => {
    const strict = await startService({ ALLOWED_REGISTRIES: testEnv().registry });
    try {
      const res = await strict.http.get('/api/v1/images/search?term=busybox').set(auth('viewer'));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('registry_not_allowed');
    } finally {
      await strict.close();
    }
  });
});

describe('GET /api/v1/images/search?registry= (a private registry catalog)', () => {
  test('when browsing the loopback registry for seed/web, then it is found with both its tags', async () => {
    const res = await svc.http.get('/api/v1/images/search').query({ term: 'seed/web', registry: testEnv().registry }).set(auth('viewer'));
    expect(res.status).toBe(200);
    expect(res.body.registry).toBe(testEnv().registry);
    expect(res.body.items).toEqual([{ name: 'seed/web', tags: ['1.39', '1.43'] }]);
    expect(res.body.truncated).toBe(false);
  });

  test('when the term matches several repositories and limit is 1, then one comes back and truncated says so', async () => {
    const res = await svc.http.get('/api/v1/images/search').query({ term: 'seed', registry: testEnv().registry, limit: 1 }).set(auth('viewer'));
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([{ name: 'seed/base', tags: ['1'] }]);
    expect(res.body.truncated).toBe(true);
  });

  test('when the registry is not in the allowlist, then 403 and no connection is ever made to it', async () => {
    let connections = 0;
    const trap = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const port = (trap.address() as net.AddressInfo).port;
    try {
      const res = await svc.http
        .get('/api/v1/images/search')
        .query({ registry: `127.0.0.1:${port}` })
        .set(auth('viewer'));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('registry_not_allowed');
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => trap.close(resolve));
    }
  });

  test('when the registry value is not a host or an id, then 400 before anything else', async () => {
    const res = await svc.http.get('/api/v1/images/search').query({ registry: 'evil.example/../x?y' }).set(auth('viewer'));
    expect(res.status).toBe(400);
  });

  test('when an allowed registry does not answer, then 502 registry_unreachable', async () => {
    // A port that was just free: nothing listens there.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(probe.address() as net.AddressInfo).port}`;
    await new Promise((resolve) => probe.close(resolve));
    const open = await startService({ ALLOWED_REGISTRIES: host });
    try {
      const res = await open.http.get('/api/v1/images/search').query({ registry: host }).set(auth('viewer'));
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('registry_unreachable');
    } finally {
      await open.close();
    }
  });

  test('when browsing the htpasswd registry by stored id, then its login is used; a wrong one gives registry_auth_failed', async () => {
    const env = testEnv();
    const add = (username: string, password: string) =>
      svc.http.post('/api/v1/registries').set(auth('admin')).send({ serverAddress: env.authRegistry, username, password });
    const good = await add(env.authRegistryUser, env.authRegistryPassword);
    expect(good.status).toBe(201);
    const res = await svc.http.get('/api/v1/images/search').query({ registry: good.body.id }).set(auth('viewer'));
    expect(res.status).toBe(200);
    expect(res.body.registry).toBe(env.authRegistry);
    expect(Array.isArray(res.body.items)).toBe(true);

    const bad = await add('not-a-user', 'not-the-password');
    expect(bad.status).toBe(201);
    const denied = await svc.http.get('/api/v1/images/search').query({ registry: bad.body.id }).set(auth('viewer'));
    expect(denied.status).toBe(502);
    expect(denied.body.code).toBe('registry_auth_failed');
    expect(JSON.stringify(denied.body)).not.toContain('not-the-password');
  });

  test('when the stored id is unknown, then 404 registry_not_found', async () => {
    const res = await svc.http.get('/api/v1/images/search').query({ registry: '00000000-0000-4000-8000-000000000000' }).set(auth('viewer'));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('registry_not_found');
  });
});
