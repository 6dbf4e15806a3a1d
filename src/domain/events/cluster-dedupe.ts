import type { RawEngineEvent } from './engine-event';

/** The event types a swarm reports from the cluster's store: every manager of that swarm sends each one. */
export const CLUSTER_EVENT_TYPES: ReadonlySet<string> = new Set(['node', 'service', 'secret', 'config']);

export interface ClusterDedupeOptions {
  /** How long an event stays known (ms of our clock): a copy from another manager arriving later passes again. */
  windowMs: number;
  /** At most this many events are remembered; the oldest go first. */
  maxKeys: number;
}

/**
 * Drops the copies of one swarm event that several registered engines report, when two or more managers of the same
 * swarm are registered. Verified on a real 2-manager swarm (dockerd 20.10): `create` and `update` events carry the
 * same `timeNano` on every manager (the engine takes it from the object's stored creation or update time), while
 * `remove` carries each manager's own clock (2 ms apart there). So an event is a copy when another engine already
 * reported the same type, action and object at the same `timeNano` — or, for `remove`, the same type and object at
 * all — within the window. One engine's own events are never dropped, whatever they repeat: only a second engine's
 * report of an event is a copy. Engines of different swarms never collide: swarm object ids are random per cluster.
 */
export class ClusterEventDedupe {
  /** key → the engines that reported it, and when it was first seen. */
  private readonly seen = new Map<string, { engines: Set<string>; at: number }>();
  /** Copies dropped so far (for metrics and tests). */
  dropped = 0;

  constructor(
    private readonly opts: ClusterDedupeOptions = { windowMs: 30_000, maxKeys: 10_000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `e` from `engine` is another engine's copy of an event already delivered: drop it. */
  isCopy(engine: string, e: RawEngineEvent): boolean {
    if (!CLUSTER_EVENT_TYPES.has(e.type)) return false;
    const at = this.now();
    this.expire(at);
    const key = e.action === 'remove' ? `${e.type}\0remove\0${e.actorId}` : `${e.type}\0${e.action}\0${e.actorId}\0${e.timeNano}`;
    const known = this.seen.get(key);
    if (!known) {
      this.seen.set(key, { engines: new Set([engine]), at });
      while (this.seen.size > this.opts.maxKeys) this.seen.delete(this.seen.keys().next().value as string);
      return false;
    }
    if (known.engines.has(engine)) return false;
    known.engines.add(engine);
    this.dropped++;
    return true;
  }

  /** Entries are kept in arrival order, so expiry stops at the first one still inside the window. */
  private expire(at: number): void {
    for (const [key, v] of this.seen) {
      if (at - v.at < this.opts.windowMs) break;
      this.seen.delete(key);
    }
  }
}
