import type { Logger } from 'pino';
import type { EngineEvent, EngineEventStream, EventSource, RawEngineEvent } from './engine-event';
import { EngineState } from './engine-state';
import { EventLog, type LoggedEvent } from './event-log';
import { matchesFilters, type EventFilters } from './event-filter';
import type { Role } from '../auth/roles';
import { redactEventAction, redactEventAttributes, seesSecrets } from '../auth/redaction';
import { DomainError } from '../errors';

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
  /**
   * After a silent idleCheckMs with the engine answering pings, the events it holds up to this long ago are read
   * on a second connection: any the stream did not deliver means the stream stalled, and it is reopened.
   */
  probeSettleMs: number;
  /** Events the engine keeps for `since` (moby's events buffer, 256): a replay this long may have lost older ones. */
  engineReplayLimit: number;
}

export const DEFAULT_HUB_OPTIONS: EventsHubOptions = {
  capacity: 2000,
  maxBytes: 16 * 1024 * 1024,
  minBackoffMs: 200,
  maxBackoffMs: 5000,
  idleCheckMs: 15000,
  pingTimeoutMs: 5000,
  imageRefreshMs: 500,
  probeSettleMs: 1000,
  engineReplayLimit: 256,
};

export interface EventQuery {
  since?: number;
  until?: number;
  filters: EventFilters;
  limit: number;
}

type Listener = (e: LoggedEvent) => void;
/** Told when events were lost: the subscription is over, the client must list and subscribe again. */
type GapListener = (err: DomainError) => void;

const redactedViews = new WeakMap<LoggedEvent, LoggedEvent>();

/**
 * An event as a role below admin may read it (src/domain/auth/redaction.ts): the command of an exec or health probe
 * and label values masked. Made once per event, with its JSON, however many subscribers read it.
 */
export function eventFor(logged: LoggedEvent, role: Role): LoggedEvent {
  if (seesSecrets(role)) return logged;
  let view = redactedViews.get(logged);
  if (!view) {
    const event = { ...logged.event, action: redactEventAction(logged.event.action), attributes: redactEventAttributes(logged.event.attributes) };
    view = { event, json: JSON.stringify(event) };
    redactedViews.set(logged, view);
  }
  return view;
}

const nanoToIso = (nano: string): string => new Date(Number(BigInt(nano) / 1000000n)).toISOString();
const nowNano = (): string => (BigInt(Date.now()) * 1000000n).toString();
const key = (e: RawEngineEvent): string => `${e.timeNano}|${e.type}|${e.action}|${e.actorId}`;

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });

/** One engine's event source, under the engine's name. */
export interface NamedEventSource {
  engine: string;
  source: EventSource;
}

/** What the hub knows of one engine's event stream: up since when, or down since when and why. */
export interface FeedState {
  connected: boolean;
  /** When it last connected or dropped (ISO 8601); null before the first attempt ended. */
  since: string | null;
  error: string | null;
}

/**
 * Every engine's `/events` connection (one per engine for the whole service), fanned in to ONE numbered sequence
 * and fanned out to subscribers. Every event gets our own sequence number (one across engines, so a `since`
 * resume works whatever engine an event came from), its engine's name, and a place in a bounded log. When an
 * engine's stream drops, its feed reconnects with backoff, asks the engine to replay what it still holds, and
 * reconciles by listing: what changed while nobody was listening becomes events marked `reconciled`. An engine
 * that connects or drops is itself an event (`type: engine`, `connected` / `disconnected`).
 */
export class EventsHub {
  private readonly log: EventLog;
  private readonly feeds = new Map<string, EngineFeed>();
  private readonly listeners = new Map<Listener, { filters: EventFilters; role: Role }>();
  private readonly gapListeners = new Map<Listener, GapListener>();
  private readonly opts: EventsHubOptions;
  private started = false;
  private closed = false;
  /** Running totals for metrics: reconnections after a lost stream, and events delivered to subscribers. */
  readonly stats = { reconnects: 0, fannedOut: 0 };

  constructor(
    sources: EventSource | readonly NamedEventSource[],
    private readonly logger: Logger,
    opts: Partial<EventsHubOptions> = {},
  ) {
    this.opts = { ...DEFAULT_HUB_OPTIONS, ...opts };
    this.log = new EventLog(this.opts.capacity, this.opts.maxBytes);
    const named = 'open' in sources ? [{ engine: 'default', source: sources }] : sources;
    for (const { engine, source } of named) {
      this.feeds.set(
        engine,
        new EngineFeed(engine, source, logger.child({ engine }), this.opts, {
          publish: (e, reconciled) => this.publish(engine, e, reconciled),
          gap: () => this.reportGap(engine),
          reconnected: () => this.stats.reconnects++,
          lastSeq: () => this.log.lastSeq,
          isClosed: () => this.closed,
        }),
      );
    }
  }

  /** The `default` engine's stream (the first one given) is connected and reconciled. */
  get connected(): boolean {
    return this.feeds.values().next().value?.connected ?? false;
  }

  /** `engine`'s stream is connected and reconciled. */
  isConnected(engine: string): boolean {
    return this.feeds.get(engine)?.connected ?? false;
  }

  /** Each engine's stream state, by engine name. */
  feedStates(): Map<string, FeedState> {
    return new Map([...this.feeds].map(([name, f]) => [name, f.snapshot()]));
  }

  get engines(): string[] {
    return [...this.feeds.keys()];
  }

  get lastSeq(): number {
    return this.log.lastSeq;
  }

  get oldestSeq(): number {
    return this.log.oldestSeq;
  }

  /** Starts every engine's connection if they are not running yet; later calls do nothing. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const f of this.feeds.values()) f.start();
  }

  /**
   * One engine's events, as a hub of its own for the service's own consumers (the read caches' change feeds):
   * subscriptions see that engine's events only, `connected` is that engine's stream.
   */
  forEngine(engine: string): {
    subscribe(filters: EventFilters, since: undefined, listener: Listener): { unsubscribe: () => void };
    readonly connected: boolean;
  } {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- a view object whose getter reads the hub
    const hub = this;
    return {
      subscribe: (filters, since, listener) => hub.subscribe({ ...filters, engine: [engine] }, since, listener),
      get connected() {
        return hub.isConnected(engine);
      },
    };
  }

  /**
   * Registers `listener` for events matching `filters` (an absent `engine` filter: every engine). With `since`,
   * first returns what the log holds after it (throws resync_required when that is gone). Replay and registration
   * happen in one turn, so nothing is missed or repeated between them. `role` is the reader's: events reach it
   * redacted below admin (the service's own consumers — the read caches' change feeds — read everything).
   */
  subscribe(
    filters: EventFilters,
    since: number | undefined,
    listener: Listener,
    role: Role = 'admin',
    onGap?: GapListener,
  ): { replay: LoggedEvent[]; unsubscribe: () => void } {
    this.start();
    // Filters see what the subscriber may read: a label value it may not read matches nothing.
    const replay =
      since === undefined
        ? []
        : this.log
            .after(since)
            .map((e) => eventFor(e, role))
            .filter((e) => matchesFilters(e.event, filters));
    this.listeners.set(listener, { filters, role });
    if (onGap) this.gapListeners.set(listener, onGap);
    return {
      replay,
      unsubscribe: () => {
        this.listeners.delete(listener);
        this.gapListeners.delete(listener);
      },
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** The REST view: held events in (since, until], filtered, at most `limit`. */
  query(q: EventQuery, role: Role): { items: EngineEvent[]; lastSeq: number; oldestSeq: number; hasMore: boolean } {
    this.start();
    // Without since this is a listing of what is held, which may span a gap; with since, a resume, which may not.
    const all = q.since === undefined ? this.log.after(this.log.oldestSeq - 1, true) : this.log.after(q.since);
    const items: EngineEvent[] = [];
    let hasMore = false;
    for (const held of all) {
      const e = eventFor(held, role);
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
    await Promise.all([...this.feeds.values()].map((f) => f.close()));
    this.listeners.clear();
  }

  /**
   * An event the service itself raises (e.g. `image` / `update_available`), numbered and fanned out like the
   * engine's own; it does not touch what the hub knows of the engine's state.
   */
  announce(e: Omit<RawEngineEvent, 'timeNano'>, engine = 'default'): void {
    this.publish(engine, { ...e, timeNano: nowNano() }, false);
  }

  /** Events were lost: later `since` resumes across that point are refused, and live subscribers are told now. */
  private reportGap(engine: string): void {
    this.log.markGap();
    this.logger.warn({ engine, lastSeq: this.log.lastSeq }, 'engine could not replay every event of the outage; subscribers must resync');
    const err = new DomainError(
      'resync_required',
      `engine "${engine}" lost events while its stream was down; list the current state and subscribe again`,
      {
        gapAfter: this.log.lastSeq,
      },
    );
    for (const [listener, onGap] of this.gapListeners) {
      this.listeners.delete(listener);
      this.gapListeners.delete(listener);
      try {
        onGap(err);
      } catch (e) {
        this.logger.error({ err: e }, 'event listener failed');
      }
    }
  }

  private publish(engine: string, e: RawEngineEvent, reconciled: boolean): void {
    const logged = this.log.append({
      engine,
      type: e.type,
      action: e.action,
      actorId: e.actorId,
      attributes: e.attributes,
      time: nanoToIso(e.timeNano),
      timeNano: e.timeNano,
      reconciled,
    });
    for (const [listener, { filters, role }] of this.listeners) {
      const view = eventFor(logged, role);
      if (!matchesFilters(view.event, filters)) continue;
      try {
        listener(view);
        this.stats.fannedOut++;
      } catch (err) {
        this.logger.error({ err }, 'event listener failed');
      }
    }
  }
}

interface FeedOwner {
  publish(e: RawEngineEvent, reconciled: boolean): void;
  gap(): void;
  reconnected(): void;
  lastSeq(): number;
  isClosed(): boolean;
}

/** One engine's `/events` connection: replay, reconciliation, watchdog and reconnects, publishing into the hub. */
class EngineFeed {
  private readonly known = new EngineState();
  /** Events of the current connection the engine replayed (older than the connection), and when it was opened. */
  private replayed = 0;
  private openedNano = 0n;
  private stream: EngineEventStream | undefined;
  private connectedNow = false;
  /** Up or down as last announced (undefined: neither yet), since when, and the last failure. */
  private announced: boolean | undefined;
  private changedAt: string | null = null;
  private lastError: string | null = null;
  /** Newest engine time seen, and the keys of the events at exactly that time: replays must not repeat them. */
  private watermark = 0n;
  private atWatermark = new Set<string>();
  /** Events that arrive while a listing is in flight wait here, so the listing and they can be ordered. */
  private held: RawEngineEvent[] | undefined;
  private lastActivity = Date.now();
  private checking = false;
  private timers = new Set<NodeJS.Timeout>();
  private imageTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly engine: string,
    private readonly source: EventSource,
    private readonly logger: Logger,
    private readonly opts: EventsHubOptions,
    private readonly owner: FeedOwner,
  ) {}

  get connected(): boolean {
    return this.connectedNow;
  }

  snapshot(): FeedState {
    return { connected: this.connectedNow, since: this.changedAt, error: this.connectedNow ? null : this.lastError };
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  async close(): Promise<void> {
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
  }

  private get closed(): boolean {
    return this.owner.isClosed();
  }

  /** `engine` / `connected` or `disconnected`, once per change, so a console sees an engine drop without polling. */
  private announce(up: boolean): void {
    if (this.announced === up) return;
    this.announced = up;
    this.changedAt = new Date().toISOString();
    const attributes: Record<string, string> = { name: this.engine };
    if (!up && this.lastError) attributes.error = this.lastError;
    this.owner.publish({ type: 'engine', action: up ? 'connected' : 'disconnected', actorId: this.engine, attributes, timeNano: nowNano() }, false);
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      try {
        await this.connectOnce();
        attempt = 0;
        this.lastError = 'the event stream ended';
      } catch (err) {
        this.lastError = (err as Error).message;
        this.logger.warn({ err: this.lastError, attempt }, 'engine event stream unavailable');
      }
      this.connectedNow = false;
      this.held = undefined;
      if (this.closed) break;
      this.announce(false);
      const base = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** attempt);
      attempt++;
      await this.sleep(base * (0.8 + Math.random() * 0.4));
    }
  }

  /** One connection: open (with replay), reconcile by listing, then follow until the stream ends. */
  private async connectOnce(): Promise<void> {
    this.held = [];
    const since = this.watermark > 0n ? this.watermark.toString() : undefined;
    this.replayed = 0;
    // The engine's clock is taken to be ours (a local engine): what it sends with an older time is its replay.
    this.openedNano = BigInt(nowNano());
    const stream = await this.source.open((e) => this.onRaw(e, since !== undefined), since);
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
      const first = !this.known.hasBaseline;
      const synthetic = this.known.reconcile(containers, images).filter((s) => !touched.has(s.actorId));
      const stamp = nowNano();
      for (const s of synthetic) this.owner.publish({ ...s, timeNano: stamp }, true);
      for (const e of held) {
        this.known.apply(e);
        this.owner.publish(e, false);
      }
      if (!first) {
        this.owner.reconnected();
        this.logger.info({ lastSeq: this.owner.lastSeq() }, 'engine event stream reconnected and reconciled');
      }
    } catch (err) {
      stream.close();
      throw err;
    }
    this.connectedNow = true;
    this.announce(true);
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

  /**
   * The stream has been silent for idleCheckMs. An engine that does not answer a ping is gone; one that answers may
   * be quiet, or its stream may have stalled on the way (a proxy, a half-dead connection) while the daemon is fine:
   * the events it holds since the last one we saw are read on a connection of their own, and any the stream did not
   * deliver (older than probeSettleMs, so not merely in flight) means the stream is reopened, replaying them.
   */
  private async checkIdle(stream: EngineEventStream): Promise<void> {
    if (this.checking || Date.now() - this.lastActivity < this.opts.idleCheckMs) return;
    this.checking = true;
    this.lastActivity = Date.now();
    try {
      try {
        await withTimeout(this.source.ping(), this.opts.pingTimeoutMs);
      } catch {
        this.logger.warn('engine silent and not answering pings; reopening the event stream');
        stream.close();
        return;
      }
      const since = this.watermark > this.openedNano ? this.watermark : this.openedNano;
      const until = BigInt(nowNano()) - BigInt(this.opts.probeSettleMs) * 1000000n;
      if (until <= since || this.stream !== stream) return;
      const held = await withTimeout(this.source.replay(since.toString(), until.toString()), this.opts.pingTimeoutMs);
      const missed = held.filter((e) => !this.seen(e));
      if (missed.length > 0 && this.stream === stream) {
        this.logger.warn({ missed: missed.length }, 'engine event stream silent while the engine reports events; reopening it');
        stream.close();
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'engine event stream check failed');
    } finally {
      this.checking = false;
    }
  }

  private seen(e: RawEngineEvent): boolean {
    const t = BigInt(e.timeNano);
    return t < this.watermark || (t === this.watermark && this.atWatermark.has(key(e)));
  }

  private onRaw(e: RawEngineEvent, resumed = false): void {
    this.lastActivity = Date.now();
    const t = BigInt(e.timeNano);
    // The engine's `since` replay overlaps what we already had: drop anything at or before the watermark we saw.
    if (this.seen(e)) return;
    // A replay as long as the engine's whole buffer may have begun after events it had already dropped.
    if (resumed && t <= this.openedNano && ++this.replayed === this.opts.engineReplayLimit) this.owner.gap();
    if (t > this.watermark) {
      this.watermark = t;
      this.atWatermark = new Set();
    }
    this.atWatermark.add(key(e));
    if (this.held) {
      this.held.push(e);
      return;
    }
    if (this.known.apply(e)) this.scheduleImageRefresh();
    this.owner.publish(e, false);
  }

  private scheduleImageRefresh(): void {
    if (this.imageTimer || this.closed) return;
    this.imageTimer = setTimeout(() => {
      this.imageTimer = undefined;
      this.source.listImages().then(
        (images) => this.known.setImages(images),
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
