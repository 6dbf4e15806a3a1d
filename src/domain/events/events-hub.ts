import type { Logger } from 'pino';
import type { EngineEvent, EngineEventStream, EventSource, RawEngineEvent } from './engine-event';
import { EngineState } from './engine-state';
import { EventLog, type LoggedEvent } from './event-log';
import { matchesFilters, type EventFilters } from './event-filter';

export interface EventsHubOptions {
  /** Events kept for `since` replay and the REST query, at most this many and this many bytes of JSON. */
  capacity: number;
  maxBytes: number;
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** After this long without an event the engine is pinged; a failed ping counts as a dead stream. */
  idleCheckMs: number;
  pingTimeoutMs: number;
  /** Images are re-listed this long after an image event (the stream does not say which tags an image has). */
  imageRefreshMs: number;
}

export const DEFAULT_HUB_OPTIONS: EventsHubOptions = {
  capacity: 2000,
  maxBytes: 16 * 1024 * 1024,
  minBackoffMs: 200,
  maxBackoffMs: 5000,
  idleCheckMs: 15000,
  pingTimeoutMs: 5000,
  imageRefreshMs: 500,
};

export interface EventQuery {
  since?: number;
  until?: number;
  filters: EventFilters;
  limit: number;
}

type Listener = (e: LoggedEvent) => void;

const nanoToIso = (nano: string): string => new Date(Number(BigInt(nano) / 1000000n)).toISOString();
const nowNano = (): string => (BigInt(Date.now()) * 1000000n).toString();
const key = (e: RawEngineEvent): string => `${e.timeNano}|${e.type}|${e.action}|${e.actorId}`;

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });

/**
 * ONE engine `/events` connection for the whole service, fanned out to subscribers. Every event gets our own
 * sequence number and a place in a bounded log, so a client can resume with `since`. When the stream drops,
 * the hub reconnects with backoff, asks the engine to replay what it still holds, and reconciles by listing:
 * what changed while nobody was listening becomes events marked `reconciled`.
 */
export class EventsHub {
  private readonly log: EventLog;
  private readonly state = new EngineState();
  private readonly listeners = new Map<Listener, EventFilters>();
  private readonly opts: EventsHubOptions;
  private started = false;
  private closed = false;
  private stream: EngineEventStream | undefined;
  private connectedNow = false;
  /** Newest engine time seen, and the keys of the events at exactly that time: replays must not repeat them. */
  private watermark = 0n;
  private atWatermark = new Set<string>();
  /** Events that arrive while a listing is in flight wait here, so the listing and they can be ordered. */
  private held: RawEngineEvent[] | undefined;
  private lastActivity = Date.now();
  private timers = new Set<NodeJS.Timeout>();
  private imageTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** Running totals for metrics: reconnections after a lost stream, and events delivered to subscribers. */
  readonly stats = { reconnects: 0, fannedOut: 0 };

  constructor(
    private readonly source: EventSource,
    private readonly logger: Logger,
    opts: Partial<EventsHubOptions> = {},
  ) {
    this.opts = { ...DEFAULT_HUB_OPTIONS, ...opts };
    this.log = new EventLog(this.opts.capacity, this.opts.maxBytes);
  }

  get connected(): boolean {
    return this.connectedNow;
  }

  get lastSeq(): number {
    return this.log.lastSeq;
  }

  get oldestSeq(): number {
    return this.log.oldestSeq;
  }

  /** Starts the engine connection if it is not running yet; later calls do nothing. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.loop = this.run();
  }

  /**
   * Registers `listener` for events matching `filters`. With `since`, first returns what the log holds after
   * it (throws resync_required when that is gone). Replay and registration happen in one turn, so nothing is
   * missed or repeated between them.
   */
  subscribe(filters: EventFilters, since: number | undefined, listener: Listener): { replay: LoggedEvent[]; unsubscribe: () => void } {
    this.start();
    const replay = since === undefined ? [] : this.log.after(since).filter((e) => matchesFilters(e.event, filters));
    this.listeners.set(listener, filters);
    return { replay, unsubscribe: () => this.listeners.delete(listener) };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** The REST view: held events in (since, until], filtered, at most `limit`. */
  query(q: EventQuery): { items: EngineEvent[]; lastSeq: number; oldestSeq: number; hasMore: boolean } {
    this.start();
    const all = this.log.after(q.since ?? this.log.oldestSeq - 1);
    const items: EngineEvent[] = [];
    let hasMore = false;
    for (const e of all) {
      if (q.until !== undefined && e.event.seq > q.until) break;
      if (!matchesFilters(e.event, q.filters)) continue;
      if (items.length === q.limit) {
        hasMore = true;
        break;
      }
      items.push(e.event);
    }
    return { items, lastSeq: this.log.lastSeq, oldestSeq: this.log.oldestSeq, hasMore };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stream?.close();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.imageTimer) clearTimeout(this.imageTimer);
    this.wake?.();
    // An engine call in flight (open, listing) is bounded by the engine timeout; shutdown need not wait for it:
    // the loop sees `closed` when it returns and releases what it got.
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise<void>((r) => (t = setTimeout(r, 1000)))]);
    clearTimeout(t);
    this.listeners.clear();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      try {
        await this.connectOnce();
        attempt = 0;
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, attempt }, 'engine event stream unavailable');
      }
      this.connectedNow = false;
      this.held = undefined;
      if (this.closed) break;
      const base = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** attempt);
      attempt++;
      await this.sleep(base * (0.8 + Math.random() * 0.4));
    }
  }

  /** One connection: open (with replay), reconcile by listing, then follow until the stream ends. */
  private async connectOnce(): Promise<void> {
    this.held = [];
    const since = this.watermark > 0n ? this.watermark.toString() : undefined;
    const stream = await this.source.open((e) => this.onRaw(e), since);
    this.stream = stream;
    if (this.closed) {
      stream.close();
      return;
    }
    try {
      const [containers, images] = await Promise.all([this.source.listContainers(), this.source.listImages()]);
      const held = this.held ?? [];
      this.held = undefined;
      // The listing may or may not include what the engine reported while it ran: for those objects the real
      // events are the truth, so no made-up event may repeat or contradict them.
      const touched = new Set(held.map((e) => e.actorId));
      const first = !this.state.hasBaseline;
      const synthetic = this.state.reconcile(containers, images).filter((s) => !touched.has(s.actorId));
      const stamp = nowNano();
      for (const s of synthetic) this.publish({ ...s, timeNano: stamp }, true);
      for (const e of held) {
        this.state.apply(e);
        this.publish(e, false);
      }
      if (!first) {
        this.stats.reconnects++;
        this.logger.info({ lastSeq: this.log.lastSeq }, 'engine event stream reconnected and reconciled');
      }
    } catch (err) {
      stream.close();
      throw err;
    }
    this.connectedNow = true;
    this.lastActivity = Date.now();
    const watchdog = setInterval(() => void this.checkIdle(stream), Math.max(50, Math.floor(this.opts.idleCheckMs / 2)));
    try {
      await stream.ended;
    } finally {
      clearInterval(watchdog);
      this.stream = undefined;
    }
    if (!this.closed) this.logger.warn('engine event stream ended; reconnecting');
  }

  private async checkIdle(stream: EngineEventStream): Promise<void> {
    if (Date.now() - this.lastActivity < this.opts.idleCheckMs) return;
    this.lastActivity = Date.now();
    try {
      await withTimeout(this.source.ping(), this.opts.pingTimeoutMs);
    } catch {
      this.logger.warn('engine silent and not answering pings; reopening the event stream');
      stream.close();
    }
  }

  private onRaw(e: RawEngineEvent): void {
    this.lastActivity = Date.now();
    const t = BigInt(e.timeNano);
    // The engine's `since` replay overlaps what we already had: drop anything at or before the watermark we saw.
    if (t < this.watermark || (t === this.watermark && this.atWatermark.has(key(e)))) return;
    if (t > this.watermark) {
      this.watermark = t;
      this.atWatermark = new Set();
    }
    this.atWatermark.add(key(e));
    if (this.held) {
      this.held.push(e);
      return;
    }
    if (this.state.apply(e)) this.scheduleImageRefresh();
    this.publish(e, false);
  }

  /**
   * An event the service itself raises (e.g. `image` / `update_available`), numbered and fanned out like the
   * engine's own; it does not touch what the hub knows of the engine's state.
   */
  announce(e: Omit<RawEngineEvent, 'timeNano'>): void {
    this.publish({ ...e, timeNano: `${BigInt(Date.now()) * 1_000_000n}` }, false);
  }

  private publish(e: RawEngineEvent, reconciled: boolean): void {
    const logged = this.log.append({
      type: e.type,
      action: e.action,
      actorId: e.actorId,
      attributes: e.attributes,
      time: nanoToIso(e.timeNano),
      timeNano: e.timeNano,
      reconciled,
    });
    for (const [listener, filters] of this.listeners) {
      if (!matchesFilters(logged.event, filters)) continue;
      try {
        listener(logged);
        this.stats.fannedOut++;
      } catch (err) {
        this.logger.error({ err }, 'event listener failed');
      }
    }
  }

  private scheduleImageRefresh(): void {
    if (this.imageTimer || this.closed) return;
    this.imageTimer = setTimeout(() => {
      this.imageTimer = undefined;
      this.source.listImages().then(
        (images) => this.state.setImages(images),
        () => undefined, // the next reconnect re-lists anyway
      );
    }, this.opts.imageRefreshMs);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.wake = undefined;
        resolve();
      }, ms);
      this.timers.add(t);
      this.wake = () => {
        clearTimeout(t);
        this.timers.delete(t);
        resolve();
      };
    });
  }
}
