import { changesFromEvents, type ChangeFeed } from '../../src/engine/change-feed';
import { DiskUsageCache } from '../../src/engine/disk-usage-cache';

/** A df image row, as much of it as these tests look at. */
interface ImageUsage {
  Id: string;
  SharedSize: number;
  Containers: number;
}
type Usage = Map<string, ImageUsage>;

/** A df the test answers by hand, counting the calls and how many ran at once. */
function fakeDf() {
  const pending: { resolve: (usage: Usage) => void; reject: (e: Error) => void }[] = [];
  let running = 0;
  const state = { calls: 0, maxConcurrent: 0 };
  const fetch = () => {
    state.calls++;
    running++;
    state.maxConcurrent = Math.max(state.maxConcurrent, running);
    return new Promise<Usage>((resolve, reject) => pending.push({ resolve, reject })).finally(() => running--);
  };
  const answer = async (rows: ImageUsage[] = [{ Id: 'a', SharedSize: 1, Containers: 2 }]) => {
    await new Promise((r) => setImmediate(r));
    pending.shift()!.resolve(new Map(rows.map((r) => [r.Id, r])));
    await new Promise((r) => setImmediate(r));
  };
  const fail = async () => {
    await new Promise((r) => setImmediate(r));
    pending.shift()!.reject(new Error('engine answered 500'));
    await new Promise((r) => setImmediate(r));
  };
  return { fetch, answer, fail, state };
}

function fakeFeed(connected = true) {
  let onChange: () => void = () => undefined;
  const feed: ChangeFeed & { change(): void; connected: boolean } = {
    connected,
    watch(cb) {
      onChange = cb;
      return { connected: () => feed.connected };
    },
    change: () => onChange(),
  };
  return feed;
}

describe('DiskUsageCache', () => {
  test('when several lists ask at once, then one df runs and all get its answer', async () => {
    const df = fakeDf();
    const cache = new DiskUsageCache(df.fetch, fakeFeed());
    const all = Promise.all([cache.load(), cache.load(), cache.load()]);
    await df.answer();
    const results = await all;
    expect(df.state.calls).toBe(1);
    expect(results.every((r) => r.get('a')?.Containers === 2)).toBe(true);
  });

  test('when nothing changed since a df, then its result is reused', async () => {
    const df = fakeDf();
    const cache = new DiskUsageCache(df.fetch, fakeFeed());
    const first = cache.load();
    await df.answer();
    await first;
    expect(cache.peek()?.get('a')?.SharedSize).toBe(1);
  });

  test('when a result is cached, then load() still runs a fresh df, whose result the next peek sees', async () => {
    const df = fakeDf();
    const cache = new DiskUsageCache(df.fetch, fakeFeed());
    const first = cache.load();
    await df.answer([{ Id: 'a', SharedSize: 1, Containers: 0 }]);
    await first;
    const fresh = cache.load();
    await df.answer([{ Id: 'a', SharedSize: 1, Containers: 3 }]);
    expect((await fresh).get('a')?.Containers).toBe(3);
    expect(df.state.calls).toBe(2);
    expect(cache.peek()?.get('a')?.Containers).toBe(3);
  });

  test('when an engine change is reported, then the cached result is dropped', async () => {
    const df = fakeDf();
    const feed = fakeFeed();
    const cache = new DiskUsageCache(df.fetch, feed);
    const first = cache.load();
    await df.answer();
    await first;
    feed.change();
    expect(cache.peek()).toBeUndefined();
  });

  test('when a change comes while a df runs, then the next caller waits for a new df that starts after the first ends', async () => {
    const df = fakeDf();
    const feed = fakeFeed();
    const cache = new DiskUsageCache(df.fetch, feed);
    const first = cache.load();
    feed.change();
    const second = cache.load();
    await df.answer([{ Id: 'a', SharedSize: 1, Containers: 0 }]);
    await first;
    await df.answer([{ Id: 'a', SharedSize: 1, Containers: 1 }]);
    expect((await second).get('a')?.Containers).toBe(1);
    expect(df.state.calls).toBe(2);
    expect(df.state.maxConcurrent).toBe(1);
    // The outdated first answer was not kept; the second is.
    expect(cache.peek()?.get('a')?.Containers).toBe(1);
  });

  test('when the event stream is not connected, then nothing is reused', async () => {
    const df = fakeDf();
    const feed = fakeFeed(false);
    const cache = new DiskUsageCache(df.fetch, feed);
    const first = cache.load();
    await df.answer();
    await first;
    feed.connected = true;
    // That df started while changes could go unseen: it is not trusted even now.
    expect(cache.peek()).toBeUndefined();
  });

  test('when the result is older than maxAgeMs, then it is not reused', async () => {
    let now = 1000;
    const df = fakeDf();
    const cache = new DiskUsageCache(df.fetch, fakeFeed(), { maxAgeMs: 5000 }, () => now);
    const first = cache.load();
    await df.answer();
    await first;
    now += 4999;
    expect(cache.peek()).toBeDefined();
    now += 1;
    expect(cache.peek()).toBeUndefined();
  });

  test('when a df fails, then its callers see the failure and the next call tries again', async () => {
    const df = fakeDf();
    const cache = new DiskUsageCache(df.fetch, fakeFeed());
    const first = cache.load();
    const firstOutcome = first.then(
      () => 'ok',
      (e: Error) => e.message,
    );
    await df.fail();
    expect(await firstOutcome).toBe('engine answered 500');
    expect(cache.peek()).toBeUndefined();
    const second = cache.load();
    await df.answer();
    expect((await second).has('a')).toBe(true);
    expect(df.state.calls).toBe(2);
  });

  test('when there is no change feed, then df results are shared by concurrent callers but never reused', async () => {
    const df = fakeDf();
    const cache = new DiskUsageCache(df.fetch, undefined);
    const both = Promise.all([cache.load(), cache.load()]);
    await df.answer();
    await both;
    expect(df.state.calls).toBe(1);
    expect(cache.peek()).toBeUndefined();
  });
});

describe('changesFromEvents', () => {
  test('when image events and container create/destroy arrive, then they count as changes; a container start does not', () => {
    let listener: (e: { event: { type: string; action: string } }) => void = () => undefined;
    const hub = {
      connected: true,
      subscribe: (_f: unknown, _s: undefined, l: typeof listener) => {
        listener = l;
      },
    };
    const seen: number[] = [];
    const live = changesFromEvents(hub).watch(() => seen.push(1));
    listener({ event: { type: 'container', action: 'start' } });
    expect(seen).toHaveLength(0);
    listener({ event: { type: 'container', action: 'create' } });
    listener({ event: { type: 'container', action: 'destroy' } });
    listener({ event: { type: 'image', action: 'untag' } });
    expect(seen).toHaveLength(3);
    expect(live.connected()).toBe(true);
  });
});
