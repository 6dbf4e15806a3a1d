import { auth, startService, type TestService } from '../helpers/service';
import { adminDocker, buildOwnImage, cleanupRun, imageExists, imagesOfRun, runId } from '../helpers/image-admin-fixtures';

let svc: TestService;
const run = runId();
const enc = encodeURIComponent;
const repo = `image-admin/${run}`;

beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await cleanupRun(run);
  await svc.close();
});

/** What the engine holds for this run: ids and tags, to prove a dry run changed nothing. */
const snapshot = async () =>
  (await imagesOfRun(run)).map((i) => ({ id: i.Id, tags: [...(i.RepoTags ?? [])].sort() })).sort((a, b) => a.id.localeCompare(b.id));

describe('DELETE /api/v1/images/{ref}', () => {
  test('when the reference is malformed, then 400 invalid_reference and the engine is never called', async () => {
    // An engine that does not exist: any call to it would answer 503, not 400.
    const offline = await startService({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    try {
      const res = await offline.http.delete(`/api/v1/images/${enc('Bad..Name:tag')}`).set(auth('admin'));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_reference');
    } finally {
      await offline.close();
    }
  });

  test('when the image does not exist, then 404 image_not_found', async () => {
    const res = await svc.http.delete(`/api/v1/images/${enc(`${repo}-absent:1`)}`).set(auth('admin'));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('image_not_found');
  });

  test('when a viewer or operator removes, then 403 and the image stays', async () => {
    const tag = `${repo}/roles:1`;
    await buildOwnImage(run, { tag, kib: 4 });
    for (const role of ['viewer', 'operator'] as const) {
      const res = await svc.http.delete(`/api/v1/images/${enc(tag)}`).set(auth(role));
      expect(res.status).toBe(403);
    }
    expect(await imageExists(tag)).toBe(true);
  });

  test('when one of two tags is removed, then the dry run says untag only with 0 bytes, and the real call untags it alone', async () => {
    const one = `${repo}/two:one`;
    const two = `${repo}/two:two`;
    const id = await buildOwnImage(run, { tag: one, kib: 8 });
    await adminDocker()
      .getImage(one)
      .tag({ repo: `${repo}/two`, tag: 'two' });
    const before = await snapshot();

    const preview = await svc.http.delete(`/api/v1/images/${enc(two)}?dryRun=true`).set(auth('admin'));
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({
      dryRun: true,
      imageId: id,
      untagged: [two],
      deleted: [],
      bytesFreed: 0,
      blocked: false,
      blockingContainers: [],
      childImages: [],
    });
    expect(await snapshot()).toEqual(before);

    const res = await svc.http.delete(`/api/v1/images/${enc(two)}`).set(auth('admin'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ dryRun: false, imageId: id, untagged: [two], deleted: [], deletedLayers: [] });
    expect(await imageExists(two)).toBe(false);
    expect((await adminDocker().getImage(one).inspect()).Id).toBe(id);
  });

  test('when the last tag is removed, then the dry run predicts exactly what the real removal deletes, and the bytes it frees', async () => {
    const tag = `${repo}/last:1`;
    const id = await buildOwnImage(run, { tag, kib: 256 });
    const before = await snapshot();

    const preview = await svc.http.delete(`/api/v1/images/${enc(tag)}?dryRun=true`).set(auth('admin'));
    expect(preview.status).toBe(200);
    expect(preview.body.blocked).toBe(false);
    expect(preview.body.untagged).toEqual([tag]);
    expect(preview.body.deleted[0]).toBe(id);
    // The 256 KiB layer is this image's own; the seed base below it is shared and stays.
    const seedSize = (await adminDocker().getImage('seed/base:1').inspect()).Size;
    const size = (await adminDocker().getImage(tag).inspect()).Size;
    expect(preview.body.bytesFreed).toBeGreaterThanOrEqual(256 * 1024);
    expect(preview.body.bytesFreed).toBe(size - seedSize);
    expect(await snapshot()).toEqual(before);

    const res = await svc.http.delete(`/api/v1/images/${enc(tag)}`).set(auth('admin'));
    expect(res.status).toBe(200);
    expect(res.body.untagged).toEqual([tag]);
    // The image and its untagged build parents went, exactly as predicted; the seed base stayed.
    expect(res.body.deleted).toEqual(preview.body.deleted);
    expect(res.body.deletedLayers.length).toBeGreaterThan(0);
    expect(await imageExists(id)).toBe(false);
    expect(await imageExists('seed/base:1')).toBe(true);
  });

  test('when an image with references in two repositories is removed by id, then 409 conflict asks for force, and force removes both', async () => {
    const a = `${repo}/multi-a:1`;
    const b = `${repo}/multi-b:1`;
    const id = await buildOwnImage(run, { tag: a, kib: 4 });
    await adminDocker()
      .getImage(a)
      .tag({ repo: `${repo}/multi-b`, tag: '1' });

    const res = await svc.http.delete(`/api/v1/images/${enc(id)}`).set(auth('admin'));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'conflict', imageId: id, containers: [], childImages: [] });
    expect(await imageExists(a)).toBe(true);

    const forced = await svc.http.delete(`/api/v1/images/${enc(id)}?force=true`).set(auth('admin'));
    expect(forced.status).toBe(200);
    expect([...forced.body.untagged].sort()).toEqual([a, b].sort());
    expect(forced.body.deleted[0]).toBe(id);
    expect(await imageExists(id)).toBe(false);
  });

  test('when a container uses the image, then 409 image_in_use lists it, the dry run says so, and the image stays', async () => {
    const tag = `${repo}/used:1`;
    const id = await buildOwnImage(run, { tag, kib: 4 });
    const name = `${run}-user`;
    const container = await adminDocker().createContainer({ Image: tag, name, Labels: { 'dockhand.test': 'image-admin', 'dockhand.ia-run': run } });
    await container.start();
    const before = await snapshot();

    const preview = await svc.http.delete(`/api/v1/images/${enc(tag)}?dryRun=true`).set(auth('admin'));
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      dryRun: true,
      imageId: id,
      blocked: true,
      blockedReason: 'image_in_use',
      untagged: [],
      deleted: [],
      bytesFreed: 0,
    });
    expect(preview.body.blockingContainers).toEqual([{ id: container.id, name, state: 'running' }]);
    expect(await snapshot()).toEqual(before);

    const res = await svc.http.delete(`/api/v1/images/${enc(tag)}`).set(auth('admin'));
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('image_in_use');
    expect(res.body.imageId).toBe(id);
    expect(res.body.containers).toEqual([{ id: container.id, name, state: 'running' }]);
    expect(await imageExists(tag)).toBe(true);

    // By id with force: a running container still blocks (the engine never removes an image under a running container).
    const forced = await svc.http.delete(`/api/v1/images/${enc(id)}?force=true`).set(auth('admin'));
    expect(forced.status).toBe(409);
    expect(forced.body.containers).toEqual([{ id: container.id, name, state: 'running' }]);
    expect(await imageExists(id)).toBe(true);
  });

  test('when only a stopped container uses the image, then 409 lists it as exited and a forced dry run frees no bytes', async () => {
    const tag = `${repo}/stopped:1`;
    const id = await buildOwnImage(run, { tag, kib: 4 });
    const name = `${run}-stopped`;
    const container = await adminDocker().createContainer({ Image: tag, name, Cmd: ['true'], Labels: { 'dockhand.ia-run': run } });
    await container.start();
    await container.wait();

    const res = await svc.http.delete(`/api/v1/images/${enc(id)}`).set(auth('admin'));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('image_in_use');
    expect(res.body.containers).toEqual([{ id: container.id, name, state: 'exited' }]);

    // Forced, the engine deletes the image record, but the container still holds its layers: nothing is freed.
    const preview = await svc.http.delete(`/api/v1/images/${enc(id)}?force=true&dryRun=true`).set(auth('admin'));
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ blocked: false, untagged: [tag], bytesFreed: 0 });
    expect(preview.body.deleted[0]).toBe(id);
    expect(await imageExists(id)).toBe(true);
  });
});
