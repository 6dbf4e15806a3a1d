import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auth, startService, type TestService } from '../helpers/service';
import { coldImage, testEnv } from '../../support/test-env';
import { startEngineProxy, type EngineProxy } from '../helpers/engine-proxy';
import { imagePresent, removeImages } from '../helpers/engine-images';

// This file owns cold/a: its pulls are cold whatever other files do.
const A1 = coldImage('a', '1');
const A2 = coldImage('a', '2');

let svc: TestService;
let dataDir: string;
beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-pull-'));
  await removeImages(A1, A2);
  svc = await startService({ DATA_DIR: dataDir });
});
afterAll(async () => {
  await svc.close();
  await removeImages(A1, A2);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const pull = (body: Record<string, unknown>, wait = true) =>
  svc.http
    .post(`/api/v1/images/pull${wait ? '?wait=true' : ''}`)
    .set(auth('operator'))
    .send(body);

describe('pull jobs against the loopback registry', () => {
  test('when a cold image then its second tag are pulled, then the second reports shared layers already present and moves fewer bytes', async () => {
    const first = await pull({ image: A1 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ kind: 'pull', image: A1, state: 'succeeded', error: null, createdBy: 'test-operator' });
    expect(first.body.progress).toMatchObject({ percent: 100, totalKnown: true, layersAlreadyPresent: 0 });
    expect(first.body.progress.layersDone).toBe(first.body.progress.layersTotal);
    expect(first.body.progress.bytesDone).toBe(first.body.progress.bytesTotal);
    expect(first.body.status).toBe(`Downloaded newer image for ${A1}`);
    expect(await imagePresent(A1)).toBe(true);

    const second = await pull({ image: A2 });
    expect(second.status).toBe(200);
    expect(second.body.state).toBe('succeeded');
    expect(second.body.progress.layersAlreadyPresent).toBeGreaterThanOrEqual(2);
    expect(second.body.progress.bytesTotal).toBeLessThan(first.body.progress.bytesTotal / 2);
    expect(await imagePresent(A2)).toBe(true);
  });

  test('when the image is already there, then the job succeeds with the engine saying it is up to date', async () => {
    const res = await pull({ image: A1 });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe(`Image is up to date for ${A1}`);
    expect(res.body.progress.percent).toBe(100);
  });

  test('when a pull is started without waiting, then 202 names the job in Location and the job can be read until it ends', async () => {
    const res = await pull({ image: A2 }, false);
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/api/v1/jobs/${res.body.id}`);
    let job = res.body;
    for (let i = 0; i < 100 && !['succeeded', 'failed', 'cancelled'].includes(job.state); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await svc.http.get(res.headers.location).set(auth('viewer'))).body;
    }
    expect(job.state).toBe('succeeded');
    expect(job.finishedAt).not.toBeNull();
    const list = await svc.http.get('/api/v1/jobs?kind=pull&state=succeeded').set(auth('viewer'));
    expect(list.status).toBe(200);
    expect(list.body.items.map((j: { id: string }) => j.id)).toContain(job.id);
  });

  test('when the tag does not exist, then the job fails with the engine message and wait answers 404', async () => {
    const res = await pull({ image: `${testEnv().registry}/cold/a:no-such-tag` });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('image_not_found');
    expect(res.body.detail).toMatch(/manifest unknown/);
    const job = await svc.http.get(`/api/v1/jobs/${res.body.jobId}`).set(auth('viewer'));
    expect(job.body).toMatchObject({ state: 'failed', error: { code: 'image_not_found' } });
    expect(job.body.error.message).toMatch(/manifest unknown/);
  });

  test('when the reference is malformed, then 400 invalid_reference', async () => {
    const res = await pull({ image: 'UPPER/Case:bad tag' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_reference');
  });

  test('when a viewer pulls, then 403; when a job id is not a UUID, then 400; when unknown, then 404', async () => {
    expect((await svc.http.post('/api/v1/images/pull').set(auth('viewer')).send({ image: A1 })).status).toBe(403);
    const bad = await svc.http.get('/api/v1/jobs/not-a-uuid').set(auth('viewer'));
    expect(bad.status).toBe(400);
    const missing = await svc.http.get('/api/v1/jobs/00000000-0000-4000-8000-000000000000').set(auth('viewer'));
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('job_not_found');
    const cancelMissing = await svc.http.delete('/api/v1/jobs/00000000-0000-4000-8000-000000000000').set(auth('operator'));
    expect(cancelMissing.status).toBe(404);
  });
});

describe('the registry allowlist', () => {
  let proxy: EngineProxy;
  let guarded: TestService;
  beforeAll(async () => {
    proxy = await startEngineProxy(testEnv().socketPath);
    guarded = await startService({ DOCKER_HOST: proxy.dockerHost, DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await guarded.close();
    await proxy.close();
  });

  test('when a pull or push names a registry outside ALLOWED_REGISTRIES, then 403 registry_not_allowed and no engine call at all', async () => {
    const res = await guarded.http.post('/api/v1/images/pull?wait=true').set(auth('operator')).send({ image: 'evil.example.com:8443/x/y:1' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('registry_not_allowed');
    const push = await guarded.http.post(`/api/v1/images/${encodeURIComponent('10.0.0.1:5000/x/y:1')}/push`).set(auth('admin'));
    expect(push.status).toBe(403);
    expect(push.body.code).toBe('registry_not_allowed');
    expect(proxy.requests).toEqual([]);
    expect(proxy.connections()).toBe(0);
  });

  test('when a pull names an allowed registry, then the recording proxy sees it (the proof above can fail)', async () => {
    const res = await guarded.http.post('/api/v1/images/pull?wait=true').set(auth('operator')).send({ image: A1 });
    expect(res.status).toBe(200);
    expect(proxy.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/images/create?'))).toHaveLength(1);
    expect(proxy.requests.find((r) => r.path.startsWith('/images/create?'))?.path).toContain('tag=1');
  });

  test('when a reference has no tag, then the engine is asked for latest, never every tag', async () => {
    const res = await guarded.http
      .post('/api/v1/images/pull?wait=true')
      .set(auth('operator'))
      .send({ image: `${testEnv().registry}/cold/a` });
    expect(res.status).toBe(404);
    const create = proxy.requests.filter((r) => r.path.startsWith('/images/create?')).pop();
    expect(create?.path).toMatch(/[?&]tag=latest(&|$)/);
  });
});
