import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { auth, startService, type TestService } from '../helpers/service';
import { coldImage, testEnv } from '../../support/test-env';
import { engine, imagePresent, removeImages } from '../helpers/engine-images';

// This file owns cold/e and the htpasswd registry.
jest.setTimeout(30_000);
const E1 = coldImage('e', '1');
const env = testEnv();
const pushed = `${env.authRegistry}/dkh-push-${randomBytes(4).toString('hex')}/e:1`;

let svc: TestService;
let dataDir: string;
/** Every body the service answered in this file: the stored password must appear in none. */
const bodies: string[] = [];
const seen = (res: Response): Response => {
  bodies.push(res.text ?? '');
  return res;
};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-push-'));
  svc = await startService({ DATA_DIR: dataDir });
  await removeImages(E1, pushed);
});
afterAll(async () => {
  await svc.close();
  await removeImages(E1, pushed);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

let registryId: string;

describe('stored registry logins', () => {
  test('when an admin stores a login, then 201 with the record and Location, without the secret', async () => {
    const res = seen(
      await svc.http
        .post('/api/v1/registries')
        .set(auth('admin'))
        .send({ serverAddress: env.authRegistry, username: env.authRegistryUser, password: env.authRegistryPassword }),
    );
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['createdAt', 'id', 'serverAddress', 'username']);
    expect(res.body).toMatchObject({ serverAddress: env.authRegistry, username: env.authRegistryUser });
    registryId = res.body.id;
    expect(res.headers.location).toBe(`/api/v1/registries/${registryId}`);
    const list = seen(await svc.http.get('/api/v1/registries').set(auth('admin')));
    expect(list.body.items.map((r: { id: string }) => r.id)).toContain(registryId);
    const one = seen(await svc.http.get(`/api/v1/registries/${registryId}`).set(auth('admin')));
    expect(one.body).toEqual(res.body);
  });

  test('when the login is stored, then its database is mode 0600 and a restarted service still has it', async () => {
    for (const f of ['dockhand.db', 'dockhand.db-wal', 'dockhand.db-shm']) expect(fs.statSync(path.join(dataDir, f)).mode & 0o777).toBe(0o600);
    const restarted = await startService({ DATA_DIR: dataDir });
    try {
      const res = seen(await restarted.http.get(`/api/v1/registries/${registryId}`).set(auth('admin')));
      expect(res.status).toBe(200);
      expect(res.body.username).toBe(env.authRegistryUser);
    } finally {
      await restarted.close();
    }
  });

  test('when a login is stored twice, outside the allowlist, with two secrets, or by an operator, then it is refused', async () => {
    const base = { serverAddress: env.authRegistry, username: env.authRegistryUser, password: env.authRegistryPassword };
    expect(seen(await svc.http.post('/api/v1/registries').set(auth('admin')).send(base)).status).toBe(409);
    const outside = seen(
      await svc.http
        .post('/api/v1/registries')
        .set(auth('admin'))
        .send({ ...base, serverAddress: 'evil.example.com' }),
    );
    expect(outside.status).toBe(403);
    expect(outside.body.code).toBe('registry_not_allowed');
    const both = seen(
      await svc.http
        .post('/api/v1/registries')
        .set(auth('admin'))
        .send({ ...base, username: 'other', identityToken: 'x' }),
    );
    expect(both.status).toBe(400);
    expect(seen(await svc.http.post('/api/v1/registries').set(auth('operator')).send(base)).status).toBe(403);
    expect(seen(await svc.http.get('/api/v1/registries').set(auth('operator'))).status).toBe(403);
  });
});

describe('tag and push with stored credentials', () => {
  test('when an image is tagged for the private registry, then 201 and the engine has the new name on the same image', async () => {
    const pulled = seen(await svc.http.post('/api/v1/images/pull?wait=true').set(auth('operator')).send({ image: E1 }));
    expect(pulled.status).toBe(200);
    const [repository, tag] = [pushed.slice(0, pushed.lastIndexOf(':')), '1'];
    expect(
      seen(
        await svc.http
          .post(`/api/v1/images/${encodeURIComponent(E1)}/tag`)
          .set(auth('operator'))
          .send({ repository, tag }),
      ).status,
    ).toBe(403);
    const res = seen(
      await svc.http
        .post(`/api/v1/images/${encodeURIComponent(E1)}/tag`)
        .set(auth('admin'))
        .send({ repository, tag }),
    );
    expect(res.status).toBe(201);
    expect(res.body.image).toBe(pushed);
    expect(res.headers.location).toBe(`/api/v1/images/${encodeURIComponent(pushed)}`);
    const [a, b] = await Promise.all([engine().getImage(E1).inspect(), engine().getImage(pushed).inspect()]);
    expect(b.Id).toBe(a.Id);
    expect(res.body.id).toBe(a.Id);
    const bad = seen(
      await svc.http
        .post(`/api/v1/images/${encodeURIComponent(E1)}/tag`)
        .set(auth('admin'))
        .send({ repository: 'Bad/Repo', tag }),
    );
    expect(bad.status).toBe(400);
    const missing = seen(
      await svc.http
        .post(`/api/v1/images/${encodeURIComponent('dkh-none/nothing:1')}/tag`)
        .set(auth('admin'))
        .send({ repository, tag: '2' }),
    );
    expect(missing.status).toBe(404);
  });

  test('when pushed without credentials, then the job fails with the registry refusing', async () => {
    const res = seen(await svc.http.post(`/api/v1/images/${encodeURIComponent(pushed)}/push?wait=true`).set(auth('admin')));
    expect(res.status).toBeGreaterThanOrEqual(400);
    const job = seen(await svc.http.get(`/api/v1/jobs/${res.body.jobId}`).set(auth('viewer')));
    expect(job.body).toMatchObject({ kind: 'push', state: 'failed' });
    expect(job.body.error.message).toMatch(/auth|credentials/i);
  });

  test('when pushed with the stored login, then the job succeeds; the image then pulls back with it, and not without', async () => {
    expect(
      seen(
        await svc.http
          .post(`/api/v1/images/${encodeURIComponent(pushed)}/push`)
          .set(auth('operator'))
          .send({ registry: registryId }),
      ).status,
    ).toBe(403);
    const push = seen(
      await svc.http
        .post(`/api/v1/images/${encodeURIComponent(pushed)}/push`)
        .set(auth('admin'))
        .send({ registry: registryId }),
    );
    expect(push.status).toBe(202);
    expect(push.headers.location).toBe(`/api/v1/jobs/${push.body.id}`);
    const joined = seen(
      await svc.http
        .post(`/api/v1/images/${encodeURIComponent(pushed)}/push?wait=true`)
        .set(auth('admin'))
        .send({ registry: registryId }),
    );
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ kind: 'push', image: pushed, state: 'succeeded' });
    expect(joined.body.progress.percent).toBe(100);
    expect(joined.body.progress.layersTotal).toBeGreaterThan(0);
    expect(joined.body.status).toMatch(/digest: sha256:/);

    await removeImages(pushed);
    const anonymous = seen(await svc.http.post('/api/v1/images/pull?wait=true').set(auth('operator')).send({ image: pushed }));
    expect(anonymous.status).toBeGreaterThanOrEqual(400);
    expect(await imagePresent(pushed)).toBe(false);
    const pull = seen(await svc.http.post('/api/v1/images/pull?wait=true').set(auth('operator')).send({ image: pushed, registry: registryId }));
    expect(pull.status).toBe(200);
    expect(pull.body.state).toBe('succeeded');
    expect(await imagePresent(pushed)).toBe(true);
  });

  test('when the stored login is for another registry than the image, then 400 before any pull', async () => {
    const res = seen(await svc.http.post('/api/v1/images/pull').set(auth('operator')).send({ image: E1, registry: registryId }));
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/stored registry is for/);
  });
});

describe('forgetting a login', () => {
  test('when a login is deleted, then it is gone and pulls naming it answer 404', async () => {
    expect(seen(await svc.http.delete(`/api/v1/registries/${registryId}`).set(auth('admin'))).status).toBe(204);
    const gone = seen(await svc.http.get(`/api/v1/registries/${registryId}`).set(auth('admin')));
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('registry_not_found');
    expect(seen(await svc.http.delete(`/api/v1/registries/${registryId}`).set(auth('admin'))).status).toBe(404);
    const pull = seen(await svc.http.post('/api/v1/images/pull').set(auth('operator')).send({ image: pushed, registry: registryId }));
    expect(pull.status).toBe(404);
    expect(seen(await svc.http.get('/api/v1/registries/not-a-uuid').set(auth('admin'))).status).toBe(400);
  });

  test('when every answer of this file is searched, then the stored password appears in none', () => {
    expect(bodies.length).toBeGreaterThan(15);
    for (const body of bodies) expect(body).not.toContain(env.authRegistryPassword);
  });
});
