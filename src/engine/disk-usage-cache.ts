import type { ChangeFeed } from './change-feed';

export interface DiskUsageCacheOptions {
  /** A result is never reused after this long, even with no change seen (the engine may drop events). */
  maxAgeMs: number;
}

/**
 * The gate every `/system/df` of the service goes through. Why: it walks every container's layer (30 ms at 200
 * containers, 100 ms at 1,000, against 8 ms for `/images/json`), and this engine refuses a second one while one
 * runs ("a disk usage operation is already running", a 500), so concurrent image lists and disk-usage reads
 * failed. Here at most one df runs at a time, callers that arrive after the last change share it, and its result
 * may be reused (`peek`) until an engine event says images or containers changed — only while the event stream
 * is connected, and only when it was connected before that df started (so no change can have slipped in unseen).
 * `load` never answers from that cache: callers that need sizes no event announces (a container's writes) use it.
 */
export class DiskUsageCache<Usage> {
  private generation = 0;
  private cached: { generation: number; startedAt: number; usage: Usage } | undefined;
  private latest: { at: number; usage: Usage } | undefined;
  private running: { generation: number; promise: Promise<Usage> } | undefined;
  private live: { connected(): boolean } | undefined;

  constructor(
    private readonly fetchDf: () => Promise<Usage>,
    private readonly feed: ChangeFeed | undefined,
    private readonly opts: DiskUsageCacheOptions = { maxAgeMs: 5000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** A result that is still known to be right, or undefined. */
  peek(): Usage | undefined {
    this.startWatching();
    const c = this.cached;
    if (!c || c.generation !== this.generation || !this.live?.connected()) return undefined;
    if (this.now() - c.startedAt >= this.opts.maxAgeMs) return undefined;
    return c.usage;
  }

  /** The last df that succeeded, however old, with when it started: for answers that cannot wait for a new one. */
  last(): { at: number; usage: Usage } | undefined {
    return this.latest;
  }

  /** A df that started after the last change: joins the one running, or queues behind an outdated one. */
  load(): Promise<Usage> {
    this.startWatching();
    if (this.running && this.running.generation === this.generation) return this.running.promise;
    const generation = this.generation;
    const before = this.running?.promise.catch(() => undefined);
    const promise = (async () => {
      await before;
      const trusted = this.live?.connected() === true;
      const startedAt = this.now();
      const usage = await this.fetchDf();
      if (!this.latest || this.latest.at <= startedAt) this.latest = { at: startedAt, usage };
      if (trusted && generation === this.generation) this.cached = { generation, startedAt, usage };
      return usage;
    })();
    const entry = { generation, promise };
    this.running = entry;
    promise.then(
      () => this.settled(entry),
      () => this.settled(entry),
    );
    return promise;
  }

  private settled(entry: { generation: number; promise: Promise<Usage> }): void {
    if (this.running === entry) this.running = undefined;
  }

  private startWatching(): void {
    if (this.live || !this.feed) return;
    this.live = this.feed.watch(() => {
      this.generation++;
      this.cached = undefined;
    });
  }
}
