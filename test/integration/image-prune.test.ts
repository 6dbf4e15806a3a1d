import { auth, startService, type TestService } from '../helpers/service';
import {
  adminDocker,
  buildOwnImage,
  cleanupRun,
  forgetPushed,
  imageExists,
  imagesOfRun,
  pushToLoopback,
  runId,
} from '../helpers/image-admin-fixtures';
import { seed, testEnv } from '../../support/test-env';

let svc: TestService;
const run = runId();
const runLabel = `dockhand.ia-run=${run}`;
const pushed: string[] = [];

beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await cleanupRun(run);
  await Promise.all(pushed.map(forgetPushed));
  await svc.close();
});

const snapshot = async () =>
  (await imagesOfRun(run)).map((i) => ({ id: i.Id, tags: [...(i.RepoTags ?? [])].sort() })).sort((a, b) => a.id.localeCompare(b.id));

describe('POST /api/v1/images/prune', () => {
  test("when previewing and then pruning this run's dangling images, then the preview changes nothing and the prune removes just them", async () => {
    const dangling = await buildOwnImage(run, { kib: 128, extraLabel: 'ia.kind=dangling' });
    const tagged = await buildOwnImage(run, { tag: `image-admin/${run}/kept:1`, kib: 4, extraLabel: 'ia.kind=tagged' });
    const before = await snapshot();

    const preview = await svc.http
      .post('/api/v1/images/prune?dryRun=true')
      .set(auth('admin'))
      .send({ label: [runLabel] });
    expect(preview.status).toBe(200);
    expect(preview.body.dryRun).toBe(true);
    expect(preview.body.deleted).toContain(dangling);
    expect(preview.body.deleted).not.toContain(tagged);
    expect(preview.body.bytesFreed).toBeGreaterThanOrEqual(128 * 1024);
    expect(await snapshot()).toEqual(before);

    const res = await svc.http
      .post('/api/v1/images/prune')
      .set(auth('admin'))
      .send({ label: [runLabel] });
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(false);
    expect(res.body.deleted).toEqual(expect.arrayContaining(preview.body.deleted));
    expect(res.body.deleted).toHaveLength(preview.body.deleted.length);
    expect(res.body.bytesFreed).toBeGreaterThanOrEqual(preview.body.bytesFreed);
    expect(await imageExists(dangling)).toBe(false);
    expect(await imageExists(tagged)).toBe(true);
  });

  test('when all=true is previewed, then tagged unused images would go too but one a container uses would not', async () => {
    const unused = await buildOwnImage(run, { tag: `image-admin/${run}/unused:1`, kib: 4 });
    const used = await buildOwnImage(run, { tag: `image-admin/${run}/used:1`, kib: 4 });
    const c = await adminDocker().createContainer({ Image: used, name: `${run}-prune-user`, Labels: { 'dockhand.ia-run': run } });
    const before = await snapshot();

    const res = await svc.http
      .post('/api/v1/images/prune?dryRun=true')
      .set(auth('admin'))
      .send({ all: true, label: [runLabel] });
    expect(res.status).toBe(200);
    expect(res.body.deleted).toContain(unused);
    expect(res.body.untagged).toContain(`image-admin/${run}/unused:1`);
    expect(res.body.deleted).not.toContain(used);
    expect(await snapshot()).toEqual(before);
    await c.remove({ force: true });
  });

  test('when all=true and a running container uses a pulled image (a tag and its digest), then the preview lists none of it and the real prune keeps it', async () => {
    const tag = `${testEnv().registry}/image-admin-${run}/inuse:1`;
    const id = await buildOwnImage(run, { tag, kib: 4, extraLabel: 'ia.kind=inuse' });
    const digestRef = await pushToLoopback(tag);
    pushed.push(digestRef);
    const c = await adminDocker().createContainer({
      Image: tag,
      name: `${run}-inuse-runner`,
      Labels: { 'dockhand.test': 'image-admin', 'dockhand.ia-run': run },
    });
    await c.start();
    const body = { all: true, label: [runLabel, 'ia.kind=inuse'] };

    const preview = await svc.http.post('/api/v1/images/prune?dryRun=true').set(auth('admin')).send(body);
    expect(preview.status).toBe(200);
    expect(preview.body.untagged).not.toContain(tag);
    expect(preview.body.untagged).not.toContain(digestRef);
    expect(preview.body.deleted).not.toContain(id);

    const res = await svc.http.post('/api/v1/images/prune').set(auth('admin')).send(body);
    expect(res.status).toBe(200);
    // The preview is what the engine then did: here, nothing.
    expect({ untagged: res.body.untagged, deleted: res.body.deleted }).toEqual({ untagged: preview.body.untagged, deleted: preview.body.deleted });
    const kept = await adminDocker().getImage(id).inspect();
    expect(kept.RepoTags).toContain(tag);
    expect(kept.RepoDigests).toContain(digestRef);
    await c.remove({ force: true });
  });

  test('when until is in the past of every image of this run, then nothing would go', async () => {
    await buildOwnImage(run, { kib: 4 });
    const res = await svc.http
      .post('/api/v1/images/prune?dryRun=true')
      .set(auth('admin'))
      .send({ until: '2001-01-01', label: [runLabel] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ dryRun: true, untagged: [], deleted: [], bytesFreed: 0 });
  });

  test('when until is malformed or the role is not admin, then 400 / 403 and nothing is pruned', async () => {
    const bad = await svc.http
      .post('/api/v1/images/prune')
      .set(auth('admin'))
      .send({ until: 'yesterday', label: [runLabel] });
    expect(bad.status).toBe(400);
    const viewer = await svc.http
      .post('/api/v1/images/prune?dryRun=true')
      .set(auth('operator'))
      .send({ label: [runLabel] });
    expect(viewer.status).toBe(403);
  });
});

describe('GET /api/v1/system/disk-usage', () => {
  test('when asked, then layers are counted once: the seed tags share layers, so their sizes sum to more than they take', async () => {
    const res = await svc.http.get('/api/v1/system/disk-usage').set(auth('viewer'));
    expect(res.status).toBe(200);
    const { layersSize, images } = res.body;
    const byTag = (t: string) => images.items.find((i: { repoTags: string[] }) => i.repoTags.includes(t));
    const a = byTag(seed.web139());
    const b = byTag(seed.web143());
    expect(a.sharedSize).toBeGreaterThan(0);
    expect(a.uniqueSize).toBe(a.size - a.sharedSize);
    // Both seed tags together occupy less than the sum of their sizes: the shared base is stored once.
    const summed = images.items.reduce((n: number, i: { size: number }) => n + i.size, 0);
    expect(layersSize).toBeLessThan(summed);
    expect(layersSize).toBeGreaterThanOrEqual(a.uniqueSize + b.uniqueSize + Math.max(a.sharedSize, b.sharedSize));
    expect(images.reclaimable).toBeLessThanOrEqual(images.reclaimableAtMost);
    expect(images.reclaimableAtMost).toBeLessThanOrEqual(layersSize);
    expect(res.body.reclaimable).toBe(images.reclaimable + res.body.containers.reclaimable + res.body.volumes.reclaimable);
  });

  test('when a stopped container wrote data, then its RW size is counted and reclaimable', async () => {
    const c = await adminDocker().createContainer({
      Image: 'seed/base:1',
      name: `${run}-writer`,
      Cmd: ['dd', 'if=/dev/zero', 'of=/written', 'bs=1024', 'count=100'],
      Labels: { 'dockhand.ia-run': run },
    });
    await c.start();
    await c.wait();
    try {
      const res = await svc.http.get('/api/v1/system/disk-usage').set(auth('viewer'));
      expect(res.status).toBe(200);
      const mine = res.body.containers.items.find((x: { id: string }) => x.id === c.id);
      expect(mine).toMatchObject({ name: `${run}-writer`, state: 'exited' });
      expect(mine.sizeRw).toBeGreaterThanOrEqual(100 * 1024);
      expect(res.body.containers.reclaimable).toBeGreaterThanOrEqual(mine.sizeRw);
    } finally {
      await c.remove({ force: true });
    }
  });
});
