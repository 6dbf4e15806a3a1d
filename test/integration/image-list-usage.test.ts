import Docker from 'dockerode';
import { auth, startService, type TestService } from '../helpers/service';
import { seed, testEnv } from '../../support/test-env';
import { waitFor } from '../helpers/wait-for';

/**
 * The image list's container counts and shared sizes come from /system/df, which this engine refuses to run
 * twice at once and which the service reuses until the event stream reports a change.
 */
let svc: TestService;
const docker = () => new Docker({ socketPath: testEnv().socketPath });
const suffix = Math.random().toString(36).slice(2, 8);
const created: string[] = [];

type Item = { repoTags: string[]; containers: number; inUse: boolean };
const own = `dockhand-test/usage-${suffix}`;
const listed = async (reference = seed.web143()): Promise<Item | undefined> => {
  const res = await svc.http.get('/api/v1/images').query({ reference }).set(auth('viewer'));
  expect(res.status).toBe(200);
  return res.body.items[0] as Item;
};

beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  for (const id of created)
    await docker()
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  await docker()
    .getImage(`${own}:1`)
    .remove({ force: true })
    .catch(() => undefined);
  await svc.close();
});

describe('GET /api/v1/images under load and change', () => {
  test('when 20 lists are made at once, then every one answers 200 (one engine df at a time)', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => svc.http.get('/api/v1/images').set(auth('viewer'))));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
  });

  test('when 10 disk-usage reads and 10 image lists are made at once, then every one answers 200 (they share one df)', async () => {
    const calls = Array.from({ length: 20 }, (_, i) =>
      svc.http.get(i % 2 === 0 ? '/api/v1/system/disk-usage' : '/api/v1/images').set(auth('viewer')),
    );
    const answers = await Promise.all(calls);
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    const usage = answers[0].body as { images: { items: { repoTags: string[]; sharedSize: number }[] } };
    expect(usage.images.items.find((i) => i.repoTags.includes(seed.web143()))?.sharedSize).toBeGreaterThan(0);
  });

  test('when a container is created and then removed, then the count follows both changes', async () => {
    // An image of this test's own (committed from a seed container, so its id is new): other files running at the
    // same time create and remove containers of the seed images, which would move a seed image's count under us.
    const source = await docker().createContainer({ Image: seed.web143(), Labels: { 'dockhand.test': 'image-list-usage' } });
    created.push(source.id);
    await source.commit({ repo: own, tag: '1' });
    await source.remove({ force: true });
    // Once the event stream is connected, lists are answered from a reused df: the change must still show.
    await waitFor(async () => (await svc.http.get('/api/v1/events?limit=1').set(auth('viewer'))).body.engineConnected === true, 30000);
    await waitFor(async () => (await listed(`${own}:1`))?.containers === 0);
    const c = await docker().createContainer({ Image: `${own}:1`, name: `usage-${suffix}`, Labels: { 'dockhand.test': 'image-list-usage' } });
    created.push(c.id);
    await waitFor(async () => (await listed(`${own}:1`))?.containers === 1, 15_000);
    expect((await listed(`${own}:1`))?.inUse).toBe(true);
    await c.remove({ force: true });
    await waitFor(async () => (await listed(`${own}:1`))?.containers === 0, 15_000);
    expect((await listed(`${own}:1`))?.inUse).toBe(false);
  });
});
