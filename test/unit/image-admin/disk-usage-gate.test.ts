import type Docker from 'dockerode';
import { ImagePruneService } from '../../../src/domain/images/image-prune-service';
import { DiskUsageService } from '../../../src/domain/system/disk-usage';
import { diskUsageGate, readDf, toEngineDiskUsage, type Df } from '../../../src/engine/docker-disk-usage';
import { DockerImageAdmin } from '../../../src/engine/docker-image-admin';
import { DockerImageRepository } from '../../../src/engine/docker-image-repository';
import { DiskUsageCache } from '../../../src/engine/disk-usage-cache';
import { ReadCache } from '../../../src/engine/read-cache';

const DF: Df = {
  LayersSize: 300,
  Images: [{ Id: 'sha256:a', RepoTags: ['app:1'], Created: 1, Size: 200, SharedSize: 50, Containers: 1 }],
  Containers: [{ Id: 'c1', Names: ['/one'], Image: 'app:1', ImageID: 'sha256:a', State: 'running', SizeRw: 7 }],
  Volumes: [],
};

const engineRefusal = () => Object.assign(new Error('(HTTP code 500) server error - a disk usage operation is already running'), { statusCode: 500 });

/** An engine as this one behaves: a df answered by hand, and a second df refused with a 500 while one runs. */
function fakeEngine() {
  const state = { dfCalls: 0, refused: 0, running: false, waiting: [] as (() => void)[] };
  const df = async (): Promise<Df> => {
    state.dfCalls++;
    if (state.running) {
      state.refused++;
      throw engineRefusal();
    }
    state.running = true;
    await new Promise<void>((r) => state.waiting.push(r));
    state.running = false;
    return DF;
  };
  const finish = async () => {
    while (state.waiting.length === 0) await new Promise((r) => setImmediate(r));
    state.waiting.shift()!();
  };
  const docker = {
    df,
    listImages: async () => [{ Id: 'sha256:a', RepoTags: ['app:1'], RepoDigests: [], Created: 1, Size: 200, Labels: {} }],
    listContainers: async () => [],
  } as unknown as Docker;
  return { docker, state, finish };
}

describe('the one /system/df gate', () => {
  test('when disk-usage reads, image lists and a prune preview run at once, then one df serves them all and none is refused', async () => {
    const engine = fakeEngine();
    const gate = diskUsageGate(engine.docker, 1000);
    const admin = new DockerImageAdmin(engine.docker, engine.docker, 1000, gate);
    const repo = new DockerImageRepository(engine.docker, 1000, gate);
    const report = new DiskUsageService(admin);
    const prune = new ImagePruneService(admin);

    const all = Promise.all([report.usage(), repo.list({}), report.usage(), repo.list({}), prune.prune({ all: true }, true)]);
    await engine.finish();
    const [usage, list, , , preview] = await all;

    expect(engine.state).toMatchObject({ dfCalls: 1, refused: 0 });
    expect(usage.containers.items[0]).toMatchObject({ name: 'one', sizeRw: 7 });
    expect(list[0]).toMatchObject({ sharedSize: 50, uniqueSize: 150, containers: 1, inUse: true });
    expect(preview.dryRun).toBe(true);
  });

  test("when a disk-usage read follows a finished df, then it runs a fresh one (a container's writes raise no event)", async () => {
    const engine = fakeEngine();
    const admin = new DockerImageAdmin(engine.docker, engine.docker, 1000, diskUsageGate(engine.docker, 1000));
    const first = admin.diskUsage();
    await engine.finish();
    await first;
    const second = admin.diskUsage();
    await engine.finish();
    await second;
    expect(engine.state.dfCalls).toBe(2);
  });
});

describe('the image list on a held df', () => {
  test('when a list asks fresh (Cache-Control: no-cache), then it takes a new df instead of the held one', async () => {
    const engine = fakeEngine();
    const connectedFeed = { watch: () => ({ connected: () => true }) };
    const repo = new DockerImageRepository(engine.docker, 1000, diskUsageGate(engine.docker, 1000, connectedFeed));
    const first = repo.list({});
    await engine.finish();
    await first;
    await repo.list({});
    expect(engine.state.dfCalls).toBe(1);
    const fresh = repo.list({}, { fresh: true });
    await engine.finish();
    expect((await fresh)[0]).toMatchObject({ containers: 1 });
    expect(engine.state.dfCalls).toBe(2);
  });
});

describe("the image list while another client holds the engine's df", () => {
  /** An engine whose df is held by another client from `from` on: every df of ours is refused (after our retries). */
  function heldEngine() {
    const state = { held: false, dfCalls: 0, containerLists: 0 };
    const docker = {
      df: async (): Promise<Df> => {
        state.dfCalls++;
        if (state.held) throw engineRefusal();
        return DF;
      },
      listImages: async () => [
        { Id: 'sha256:a', RepoTags: ['app:1'], RepoDigests: [], Created: 1, Size: 200, Labels: {} },
        { Id: 'sha256:b', RepoTags: ['app:2'], RepoDigests: [], Created: 2, Size: 90, Labels: {} },
      ],
      listContainers: async () => {
        state.containerLists++;
        return [{ ImageID: 'sha256:a' }, { ImageID: 'sha256:a' }, { ImageID: 'sha256:b' }];
      },
    } as unknown as Docker;
    return { docker, state };
  }
  const noRetry = (docker: Docker) => new DiskUsageCache(async () => toEngineDiskUsage(await readDf(docker, [])), undefined);

  test('when a df was held before, then the list answers current counts from the container list and the old sizes, marked stale, and does not keep that answer', async () => {
    const engine = heldEngine();
    const listeners: (() => void)[] = [];
    const feed = { watch: (cb: () => void) => (listeners.push(cb), { connected: () => true }) };
    const repo = new DockerImageRepository(engine.docker, 1000, noRetry(engine.docker), {
      list: new ReadCache(feed, { maxAgeMs: 5000, maxEntries: 4 }),
      inspect: new ReadCache(feed, { maxAgeMs: 5000, maxEntries: 4 }),
    });
    expect((await repo.list({}, { fresh: true }))[0]).toMatchObject({ sharedSize: 50, containers: 1 });
    expect((await repo.list({}, { fresh: true }))[0].sizesStale).toBeUndefined();
    engine.state.held = true;
    listeners.forEach((changed) => changed());
    const stale = await repo.list({});
    expect(stale).toEqual([
      expect.objectContaining({ id: 'sha256:a', sharedSize: 50, uniqueSize: 150, containers: 2, inUse: true, sizesStale: true }),
      // Not in the last df: no shared size known yet.
      expect.objectContaining({ id: 'sha256:b', sharedSize: 0, uniqueSize: 90, containers: 1, inUse: true, sizesStale: true }),
    ]);
    const dfsBefore = engine.state.dfCalls;
    await repo.list({});
    expect(engine.state.dfCalls).toBe(dfsBefore + 1);
    expect(engine.state.containerLists).toBe(2);
  });

  test('when no df ever succeeded, then the list still answers, every size marked stale', async () => {
    const engine = heldEngine();
    engine.state.held = true;
    const list = await new DockerImageRepository(engine.docker, 1000, noRetry(engine.docker)).list({});
    expect(list.map((i) => [i.sharedSize, i.containers, i.sizesStale])).toEqual([
      [0, 2, true],
      [0, 1, true],
    ]);
  });

  test('when the df takes longer than half the engine bound, then the list does not wait for it', async () => {
    const engine = heldEngine();
    const slow = new DiskUsageCache(() => new Promise<never>(() => undefined), undefined);
    const started = Date.now();
    const list = await new DockerImageRepository(engine.docker, 400, slow).list({});
    expect(Date.now() - started).toBeLessThan(400);
    expect(list[0]).toMatchObject({ containers: 2, sizesStale: true });
  });

  test('when the engine is down, then the list fails as before', async () => {
    const down = Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' });
    const docker = {
      df: async () => Promise.reject(down),
      listImages: async () => Promise.reject(down),
      listContainers: async () => Promise.reject(down),
    };
    await expect(new DockerImageRepository(docker as unknown as Docker, 1000, noRetry(docker as unknown as Docker)).list({})).rejects.toMatchObject({
      code: 'engine_unavailable',
    });
  });
});

describe('readDf', () => {
  test("when another client's df makes the engine refuse ours (500), then it is tried again and succeeds", async () => {
    let calls = 0;
    const docker = { df: async () => (++calls < 3 ? Promise.reject(engineRefusal()) : DF) };
    await expect(readDf(docker, [0, 0, 0])).resolves.toBe(DF);
    expect(calls).toBe(3);
  });

  test('when the engine keeps refusing, then the last refusal is the answer after the last retry', async () => {
    let calls = 0;
    const docker = { df: async () => (calls++, Promise.reject(engineRefusal())) };
    await expect(readDf(docker, [0, 0])).rejects.toMatchObject({ statusCode: 500 });
    expect(calls).toBe(3);
  });

  test('when the engine fails otherwise (no status, or not 500), then there is no retry', async () => {
    for (const err of [Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }), Object.assign(new Error('nope'), { statusCode: 400 })]) {
      let calls = 0;
      const docker = { df: async () => (calls++, Promise.reject(err)) };
      await expect(readDf(docker, [0, 0])).rejects.toBe(err);
      expect(calls).toBe(1);
    }
  });
});

describe('toEngineDiskUsage', () => {
  test('when the engine reports nulls and negative sizes, then lists are empty and sizes are never below 0 (volume sizes keep -1 for unknown)', () => {
    expect(toEngineDiskUsage({ LayersSize: -1, Images: null, Containers: null, Volumes: [{ Name: 'v', UsageData: null }] })).toEqual({
      layersSize: 0,
      images: [],
      containers: [],
      volumes: [{ name: 'v', size: -1, refCount: -1 }],
    });
    expect(toEngineDiskUsage(DF).images[0]).toEqual({
      id: 'sha256:a',
      repoTags: ['app:1'],
      created: 1,
      size: 200,
      sharedSize: 50,
      uniqueSize: 150,
      containers: 1,
    });
  });
});
