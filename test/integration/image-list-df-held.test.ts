import Docker from 'dockerode';
import { auth, startService, type TestService } from '../helpers/service';
import { seed, testEnv } from '../../support/test-env';
import { waitFor } from '../helpers/wait-for';

/**
 * dockerd 20.10 runs one /system/df at a time and refuses any other meanwhile ("a disk usage operation is already
 * running"), so a client that runs dfs back to back holds it. The image list needs a df for its shared sizes; it
 * must still answer, in time, with current container counts. On engine B: the dfs this file runs back to back must
 * not hold the engine the other files share.
 */
let svc: TestService;
const onB = () => new Docker({ socketPath: testEnv().engineB.socketPath });
const run = Math.random().toString(36).slice(2, 8);
const ENGINE_TIMEOUT_MS = 4000;

type Item = { repoTags: string[]; sharedSize: number; containers: number; inUse: boolean; sizesStale?: boolean };
// An image of this file's own: files running meanwhile create containers of the seed images on engine B too.
const own = `dockhand-test/df-held-${run}:1`;
const volume = `dockhand-test-df-held-${run}`;
const list = () => svc.http.get('/api/v1/images').query({ reference: own }).set(auth('viewer')).set('Cache-Control', 'no-cache');

beforeAll(async () => {
  const b = onB();
  await new Promise<void>((resolve, reject) =>
    b.pull(seed.web143(), {}, (err: Error | null, stream?: NodeJS.ReadableStream) =>
      err || !stream ? reject(err ?? new Error('no pull stream')) : b.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())),
    ),
  );
  // A volume of 20,000 files: the engine's df walks every volume, so each df then takes a while (30,000 files made
  // one take ~200 ms instead of ~2 ms here) and a client running dfs back to back holds the engine's one slot.
  await b.createVolume({ Name: volume, Labels: { 'dockhand.test.run': run } });
  const fill = await b.createContainer({
    Image: seed.web143(),
    Entrypoint: ['sh', '-c', 'mkdir /v/d && cd /v/d && seq 1 20000 | xargs touch'],
    HostConfig: { Binds: [`${volume}:/v`] },
    Labels: { 'dockhand.test.run': run },
  });
  await fill.start();
  expect((await fill.wait()) as { StatusCode: number }).toMatchObject({ StatusCode: 0 });
  await fill.remove();
  const source = await b.createContainer({ Image: seed.web143(), Labels: { 'dockhand.test.run': run } });
  await source.commit({ repo: own.split(':')[0], tag: '1' });
  await source.remove({ force: true });
  svc = await startService({ DOCKER_HOST: testEnv().engineB.dockerHost, ENGINE_TIMEOUT_MS: String(ENGINE_TIMEOUT_MS) });
}, 120_000);

afterAll(async () => {
  await svc?.close();
  const b = onB();
  for (const c of await b.listContainers({ all: true, filters: JSON.stringify({ label: [`dockhand.test.run=${run}`] }) }))
    await b
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  await b
    .getVolume(volume)
    .remove()
    .catch(() => undefined);
  await b
    .getImage(own)
    .remove({ force: true })
    .catch(() => undefined);
});

test('when another client runs dfs back to back, then image lists still answer in time with current container counts, their sizes marked stale', async () => {
  // With the engine free: a df of its own, so the service holds sizes to fall back on.
  const free = await list();
  expect(free.status).toBe(200);
  const before = free.body.items[0] as Item;
  expect(before.sizesStale).toBeUndefined();

  const hog = { stop: false, done: 0, refused: 0 };
  const loop = async () => {
    const b = onB();
    while (!hog.stop)
      await b.df().then(
        () => hog.done++,
        () => hog.refused++,
      );
  };
  const loops = Array.from({ length: 3 }, loop);
  try {
    await waitFor(async () => hog.done >= 2 && hog.refused >= 1, 15_000);
    const c = await onB().createContainer({ Image: own, Labels: { 'dockhand.test.run': run } });
    const seen: Item[] = [];
    // Until one answer had to do without a new df (the other client won the engine's one slot), at most 10 lists.
    while (seen.length < 10 && !seen.some((i) => i.sizesStale)) {
      // Before, such a list waited for the df past the engine bound and answered 504 engine_timeout.
      const res = await list();
      expect({ status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({ status: 200, body: 'ok' });
      seen.push(res.body.items[0] as Item);
    }
    console.log(
      `df held by another client: ${seen.length} list(s), ${seen.filter((i) => i.sizesStale).length} stale; its dfs: ${hog.done} ran, ${hog.refused} refused`,
    );
    const stale = seen.find((i) => i.sizesStale);
    const lastMeasured = [before, ...seen].filter((i) => !i.sizesStale).pop()!;
    // The container made while the engine's df was held is counted (from the container list, not the old df); the
    // sizes are the last ones measured.
    expect(before.containers).toBe(0);
    expect(stale).toMatchObject({ containers: 1, inUse: true, sharedSize: lastMeasured.sharedSize });
    for (const item of seen) expect(item.containers).toBe(1);
    await c.remove({ force: true });
  } finally {
    hog.stop = true;
    await Promise.all(loops);
  }
  // The engine free again: a new df, nothing stale.
  await waitFor(async () => (await list()).body.items[0]?.sizesStale === undefined, 15_000);
});
