import type { Logger } from 'pino';
import type { EngineEventStream, EventSource, RawEngineEvent } from './engine-event';
import { EngineState } from './engine-state';
import { withTimeout } from '../timeout';

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

/** What the hub knows of one engine's event stream: up since when, or down since when and why. */
export interface FeedState {
  connected: boolean;
  /** When it last connected or dropped (ISO 8601); null before the first attempt ended. */
  since: string | null;
  error: string | null;
}

/** Now, in nanoseconds since the epoch, as the engine writes times. */
export const nowNano = (): string => (BigInt(Date.now()) * 1000000n).toString();

const key = (e: RawEngineEvent): string => `${e.timeNano}|${e.type}|${e.action}|${e.actorId}`;

/** What a feed needs of the hub it publishes into. */
export interface FeedOwner {
  publish(e: RawEngineEvent, reconciled: boolean): void;
  gap(): void;
  reconnected(): void;
  lastSeq(): number;
  isClosed(): boolean;
}

/** One engine's `/events` connection: replay, reconciliation, watchdog and reconnects, publishing into the hub. */
export class EngineFeed {
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
