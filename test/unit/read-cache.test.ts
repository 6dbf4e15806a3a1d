import { EngineWrites, changesFromEvents, containerChanges, type ChangeFeed } from '../../src/engine/change-feed';
import { ReadCache } from '../../src/engine/read-cache';

/** A feed the test drives: changes by hand, and a connected flag. */
function fakeFeed(connected = true) {
  const listeners: (() => void)[] = [];
  const feed: ChangeFeed & { change(): void; connected: boolean } = {
    connected,
    watch(cb) {
      listeners.push(cb);
      return { connected: () => feed.connected };
    },
    change: () => listeners.forEach((l) => l()),
  };
  return feed;
}

/** An engine read the test answers by hand, counting calls. */
function fakeRead<V>() {
  const pending: { resolve: (v: V) => void; reject: (e: Error) => void }[] = [];
  const state = { calls: 0 };
  const read = () => {
    state.calls++;
    return new Promise<V>((resolve, reject) => pending.push({ resolve, reject }));
  };
  const tick = () => new Promise((r) => setImmediate(r));
  return {
    read,
    state,
    answer: async (v: V) => {
      await tick();
      pending.shift()!.resolve(v);
      await tick();
    },
    fail: async (e: Error) => {
      await tick();
      pending.shift()!.reject(e);
      await tick();
    },
  };
}

const opts = { maxAgeMs: 5000, maxEntries: 3 };

/** Reads `key` once through the cache, the engine answering `value`: the answer is then held. */
async function warm<V>(cache: ReadCache<V>, engine: ReturnType<typeof fakeRead<V>>, key: string, value: V): Promise<V> {
  const p = cache.get(key, engine.read);
  await engine.answer(value);
  return p;
}

describe('ReadCache', () => {
  test('when a key is read twice with no change between, then the engine is asked once and both get its answer', async () => {
    const engine = fakeRead<{ tags: string[] }>();
    const cache = new ReadCache<{ tags: string[] }>(fakeFeed(), opts);
    const first = cache.get('a', engine.read);
    await engine.answer({ tags: ['x:1'] });
    expect(await first).toEqual({ tags: ['x:1'] });
    expect(await cache.get('a', engine.read)).toEqual({ tags: ['x:1'] });
    expect(engine.state.calls).toBe(1);
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
  });

  test('when a change is seen, then the next read asks the engine again', async () => {
    const feed = fakeFeed();
    const engine = fakeRead<number>();
    const cache = new ReadCache<number>(feed, opts);
    await warm(cache, engine, 'a', 1);
    feed.change();
    const second = cache.get('a', engine.read);
    await engine.answer(2);
    expect(await second).toBe(2);
    expect(engine.state.calls).toBe(2);
  });

  test('when a change comes while a read runs, then that answer is returned but not kept', async () => {
    const feed = fakeFeed();
    const engine = fakeRead<number>();
    const cache = new ReadCache<number>(feed, opts);
    const first = cache.get('a', engine.read);
    feed.change();
    await engine.answer(1);
    expect(await first).toBe(1);
    const second = cache.get('a', engine.read);
    await engine.answer(2);
    expect(await second).toBe(2);
    expect(engine.state.calls).toBe(2);
  });

  test('when reads of one key arrive while one runs, then they share it; after a change a new read does not join the old one', async () => {
    const feed = fakeFeed();
    const engine = fakeRead<number>();
    const cache = new ReadCache<number>(feed, opts);
    const a = cache.get('k', engine.read);
    const b = cache.get('k', engine.read);
    feed.change();
    const c = cache.get('k', engine.read);
    expect(engine.state.calls).toBe(2);
    await engine.answer(1);
    await engine.answer(2);
    expect([await a, await b, await c]).toEqual([1, 1, 2]);
  });

  test('when the event stream is not connected, then nothing is kept', async () => {
    const feed = fakeFeed(false);
    const engine = fakeRead<number>();
    const cache = new ReadCache<number>(feed, opts);
    await warm(cache, engine, 'a', 1);
    const second = cache.get('a', engine.read);
    await engine.answer(2);
    expect(await second).toBe(2);
    expect(engine.state.calls).toBe(2);
  });

  test('when the stream drops after an answer was kept, then it is not reused', async () => {
    const feed = fakeFeed();
    const engine = fakeRead<number>();
    const cache = new ReadCache<number>(feed, opts);
    await warm(cache, engine, 'a', 1);
    feed.connected = false;
    const second = cache.get('a', engine.read);
    await engine.answer(2);
    expect(await second).toBe(2);
  });

  test('when an answer is older than maxAgeMs, then it is not reused', async () => {
    let now = 0;
    const engine = fakeRead<number>();
    const cache = new ReadCache<number>(fakeFeed(), { maxAgeMs: 1000, maxEntries: 3 }, () => now);
    await warm(cache, engine, 'a', 1);
    now = 999;
    expect(await cache.get('a', engine.read)).toBe(1);
    now = 1000;
    const late = cache.get('a', engine.read);
    await engine.answer(2);
    expect(await late).toBe(2);
    expect(engine.state.calls).toBe(2);
  });

  test('when fresh is asked, then the engine is asked even with an answer held, and the new answer is kept', async () => {
    const engine = fakeRead<number>();
    const cache = new ReadCache<number>(fakeFeed(), opts);
    await warm(cache, engine, 'a', 1);
    const fresh = cache.get('a', engine.read, { fresh: true });
    await engine.answer(2);
    expect(await fresh).toBe(2);
    expect(await cache.get('a', engine.read)).toBe(2);
    expect(engine.state.calls).toBe(2);
  });

  test('when the engine fails, then the error reaches every waiting caller and is not kept', async () => {
    const engine = fakeRead<number>();
    const cache = new ReadCache<number>(fakeFeed(), opts);
    const a = cache.get('a', engine.read);
    const b = cache.get('a', engine.read);
    await engine.fail(new Error('image_not_found'));
    await expect(a).rejects.toThrow('image_not_found');
    await expect(b).rejects.toThrow('image_not_found');
    const c = cache.get('a', engine.read);
    await engine.answer(3);
    expect(await c).toBe(3);
    expect(engine.state.calls).toBe(2);
  });

  test('when a read says dontKeep, then its answer reaches its callers but the next read asks the engine again', async () => {
    const engine = fakeRead<number>();
    const cache = new ReadCache<number>(fakeFeed(), opts);
    const first = cache.get('a', (dontKeep) => {
      dontKeep();
      return engine.read();
    });
    await engine.answer(1);
    expect(await first).toBe(1);
    const second = cache.get('a', engine.read);
    await engine.answer(2);
    expect(await second).toBe(2);
    expect(await cache.get('a', engine.read)).toBe(2);
    expect(engine.state.calls).toBe(2);
  });

  test('when more keys are read than maxEntries, then the least recently used is dropped', async () => {
    const engine = fakeRead<string>();
    const cache = new ReadCache<string>(fakeFeed(), opts);
    for (const k of ['a', 'b', 'c']) await warm(cache, engine, k, k);
    await cache.get('a', engine.read); // a is now the most recent
    const d = cache.get('d', engine.read);
    await engine.answer('d');
    await d;
    expect(cache.size).toBe(3);
    expect(engine.state.calls).toBe(4);
    await cache.get('a', engine.read); // still held
    const b = cache.get('b', engine.read); // dropped
    await engine.answer('b2');
    expect(await b).toBe('b2');
    expect(engine.state.calls).toBe(5);
  });

  test('when an answer is held, then it is frozen, so no caller can change what the next one gets', async () => {
    const engine = fakeRead<{ tags: string[] }>();
    const cache = new ReadCache<{ tags: string[] }>(fakeFeed(), opts);
    const held = await warm(cache, engine, 'a', { tags: ['x:1'] });
    expect(() => held.tags.push('evil')).toThrow(TypeError);
    expect((await cache.get('a', engine.read)).tags).toEqual(['x:1']);
  });
});

describe('EngineWrites', () => {
  test('when the service writes to the engine, then caches watching it see a change without any event', async () => {
    const writes = new EngineWrites();
    const engine = fakeRead<number>();
    const cache = new ReadCache<number>(writes.and(fakeFeed()), opts);
    await warm(cache, engine, 'a', 1);
    writes.changed();
    const second = cache.get('a', engine.read);
    await engine.answer(2);
    expect(await second).toBe(2);
  });
});

describe('containerChanges', () => {
  test('when any container or image event arrives, then the container list counts it as a change; a network event does not', () => {
    let listener: (e: { event: { type: string; action: string } }) => void = () => undefined;
    const hub = {
      connected: true,
      subscribe: (_f: unknown, _s: undefined, l: typeof listener) => {
        listener = l;
      },
    };
    let seen = 0;
    changesFromEvents(hub, containerChanges).watch(() => seen++);
    listener({ event: { type: 'container', action: 'start' } });
    listener({ event: { type: 'container', action: 'health_status: healthy' } });
    listener({ event: { type: 'image', action: 'tag' } });
    listener({ event: { type: 'network', action: 'connect' } });
    expect(seen).toBe(3);
  });
});
