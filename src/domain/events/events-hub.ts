import type { Logger } from 'pino';
import { ClusterEventDedupe } from './cluster-dedupe';
import type { EngineEvent, EventSource, RawEngineEvent } from './engine-event';
import { EngineFeed, nowNano, type EventsHubOptions, type FeedState } from './engine-feed';

export type { EventsHubOptions, FeedState };
import { EventLog, type LoggedEvent } from './event-log';
import { matchesFilters, type EventFilters } from './event-filter';
import type { Role } from '../auth/roles';
import { redactEventAction, redactEventAttributes, seesSecrets } from '../auth/redaction';
import { DomainError } from '../errors';

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

/** One engine's event source, under the engine's name. */
export interface NamedEventSource {
  engine: string;
  source: EventSource;
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
  /** Copies of one swarm event reported by several managers of that swarm: delivered once. */
  private readonly clusterCopies = new ClusterEventDedupe();
  /**
   * Running totals for metrics: reconnections after a lost stream, events delivered to subscribers, and copies of
   * swarm events dropped because another registered manager of that swarm had already reported them.
   */
  readonly stats = { reconnects: 0, fannedOut: 0, clusterCopies: 0 };

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
    if (this.clusterCopies.isCopy(engine, e)) {
      this.stats.clusterCopies++;
      return;
    }
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
