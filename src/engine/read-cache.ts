import type { ChangeFeed } from './change-feed';

export interface ReadCacheOptions {
  /** An answer is never reused after this long, even with no change seen (the engine may drop events). */
  maxAgeMs: number;
  /** At most this many answers are kept; the least recently used goes first. */
  maxEntries: number;
}

interface Entry<V> {
  generation: number;
  startedAt: number;
  value: V;
}

/** Freezes what the cache hands out again and again, so no caller can change another caller's answer. */
function deepFreeze<V>(value: V): V {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Engine reads answered again without asking the engine, until something may have changed them. Why: an image
 * inspect costs the engine ~0.3 ms and a list of 1,000 containers ~55 ms, and a console or a poller asks the same
 * question many times a second. The rules, the same as the `/system/df` gate's:
 *
 * - A change is any event of the feed (the service's one engine event stream and its own writes to the engine):
 *   every answer taken before it is dropped.
 * - An answer is kept only when the event stream was connected before the read started and no change came while
 *   it ran, so no change can have slipped in unseen; it is reused only while the stream is still connected, and
 *   never after `maxAgeMs`.
 * - Concurrent reads of one key after the last change share one engine call.
 * - `fresh` reads always ask the engine (and refresh the cache); errors are never kept.
 *
 * What a reader can still see: a change made by another engine client in the moment between the engine making it
 * and its event reaching the service (about a millisecond on a local socket). Changes made through this service
 * are seen at once: each of its writes counts as a change when it starts and again when it ends.
 */
export class ReadCache<V> {
  private generation = 0;
  private readonly entries = new Map<string, Entry<V>>();
  private readonly running = new Map<string, { generation: number; promise: Promise<V> }>();
  private live: { connected(): boolean } | undefined;
  /** Answers served from the cache, and reads that asked the engine: for metrics and tests. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly feed: ChangeFeed | undefined,
    private readonly opts: ReadCacheOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** `read` may call `dontKeep` for an answer that must not be reused (one made without its usual sources). */
  async get(key: string, read: (dontKeep: () => void) => Promise<V>, opts: { fresh?: boolean } = {}): Promise<V> {
    this.startWatching();
    if (!opts.fresh) {
      const hit = this.fresh(key);
      if (hit) {
        this.stats.hits++;
        return hit.value;
      }
      const joined = this.running.get(key);
      if (joined && joined.generation === this.generation) {
        this.stats.hits++;
        return joined.promise;
      }
    }
    this.stats.misses++;
    const generation = this.generation;
    const trusted = this.live?.connected() === true;
    const startedAt = this.now();
    let keepable = true;
    const promise = read(() => (keepable = false)).then((value) => {
      if (keepable && trusted && generation === this.generation && this.live?.connected())
        this.keep(key, { generation, startedAt, value: deepFreeze(value) });
      return value;
    });
    const entry = { generation, promise };
    this.running.set(key, entry);
    const settled = () => {
      if (this.running.get(key) === entry) this.running.delete(key);
    };
    promise.then(settled, settled);
    return promise;
  }

  /** How many answers are held now. */
  get size(): number {
    return this.entries.size;
  }

  private fresh(key: string): Entry<V> | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.generation !== this.generation || !this.live?.connected() || this.now() - e.startedAt >= this.opts.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  private keep(key: string, e: Entry<V>): void {
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  private startWatching(): void {
    if (this.live || !this.feed) return;
    this.live = this.feed.watch(() => {
      this.generation++;
      this.entries.clear();
    });
  }
}
