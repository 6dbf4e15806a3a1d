import type { Logger } from 'pino';
import type WebSocket from 'ws';
import { roleAllows } from '../domain/auth/roles';
import type { Principal } from '../domain/auth/tokens';
import { DomainError, isDomainError } from '../domain/errors';
import { auditLogger, auditTarget } from '../audit/audit-logger';
import { encodeFrame, errorData, parseClientFrame, type ChannelName, type InputFrame, type SubscribeFrame } from './protocol';
import type { Channel, Subscription, SubscriptionSink } from './subscription';

/**
 * Decides whether `principal` may open one more subscription on `channel` (stream caps, the log budget): returns
 * what gives the place back when the subscription ends, or throws rate_limited.
 */
export type SubscriptionGuard = (channel: ChannelName, principal: Principal) => () => void;

const UNGUARDED: SubscriptionGuard = () => () => undefined;

export type ChannelRegistry = { [K in ChannelName]: Channel<Extract<SubscribeFrame, { channel: K }>> };

export interface ConnectionLimits {
  /** Unsent bytes a client may have queued before it is cut off (it stopped reading). */
  maxBufferedBytes: number;
  /** Above this, channels that can wait (logs, stats) pause until the socket drains. */
  softBufferedBytes: number;
  /** Client frames per second, sustained, and the burst allowed above it; beyond: close 1008. */
  framesPerSecond: number;
  frameBurst: number;
  maxSubscriptions: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxBufferedBytes: 1024 * 1024,
  softBufferedBytes: 256 * 1024,
  framesPerSecond: 20,
  frameBurst: 40,
  maxSubscriptions: 32,
};

/** Close codes of this protocol (asyncapi.yaml lists them). */
export const CLOSE = { normal: 1000, goingAway: 1001, policy: 1008, tooBig: 1009, internal: 1011, slowConsumer: 1013 } as const;

/** One authenticated client: its subscriptions, its frame budget, and the cap on what it has not read yet. */
export class ClientConnection {
  private readonly subs = new Map<string, { sub?: Subscription; sink: Sink; release: () => void }>();
  private tokens: number;
  private lastRefill = Date.now();
  private closing = false;
  private readonly auditLog: Logger;
  alive = true;

  constructor(
    private readonly ws: WebSocket,
    readonly principal: Principal,
    private readonly channels: ChannelRegistry,
    private readonly limits: ConnectionLimits,
    private readonly logger: Logger,
    private readonly guard: SubscriptionGuard = UNGUARDED,
    /** Sees every frame as it is sent (tests check each against asyncapi.yaml). */
    private readonly onFrame?: (text: string) => void,
    /** Subscriptions to exec and attach become rows of the queryable audit trail too. */
    private readonly recordAudit?: (row: { operation: string; target: string | null; ok: boolean }) => void,
  ) {
    this.tokens = limits.frameBurst;
    this.auditLog = auditLogger(logger);
    ws.on('message', (data, isBinary) => this.onMessage(isBinary ? undefined : (data as Buffer).toString()));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => this.release());
    ws.on('error', (err) => {
      this.logger.debug({ err: err.message, token: principal.name }, 'websocket error');
      this.release();
    });
  }

  get isOpen(): boolean {
    return !this.closing && this.ws.readyState === this.ws.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Sends text, or cuts the client off when its unsent bytes would pass the cap. */
  write(text: string): boolean {
    if (!this.isOpen) return false;
    if (this.ws.bufferedAmount + Buffer.byteLength(text) > this.limits.maxBufferedBytes) {
      this.logger.warn({ token: this.principal.name, buffered: this.ws.bufferedAmount }, 'websocket client not reading; closing');
      this.close(CLOSE.slowConsumer, 'slow consumer: too many unsent bytes');
      return false;
    }
    this.onFrame?.(text);
    this.ws.send(text);
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.release();
    this.ws.close(code, reason);
    // A peer that does not read cannot even take the close frame: do not wait for it long.
    setTimeout(() => this.ws.terminate(), 10000).unref();
  }

  terminate(): void {
    this.release();
    this.ws.terminate();
  }

  private onMessage(text: string | undefined): void {
    if (!this.takeToken()) {
      this.close(CLOSE.policy, 'too many frames');
      return;
    }
    if (text === undefined) {
      this.write(encodeFrame(null, 'error', 0, { code: 'unsupported_media_type', message: 'frames must be JSON text, not binary' }));
      return;
    }
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      this.write(encodeFrame(parsed.id, 'error', 0, errorData(parsed.error)));
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'unsubscribe') {
      const entry = this.subs.get(frame.id);
      if (!entry) {
        this.write(encodeFrame(frame.id, 'error', 0, errorData(new DomainError('not_found', `no subscription "${frame.id}"`))));
        return;
      }
      entry.sink.end({ reason: 'unsubscribed' });
      return;
    }
    if (frame.type === 'stdin' || frame.type === 'resize') return this.input(frame);
    void this.subscribe(frame);
  }

  /** Input for a terminal subscription. Its errors carry id null: a refused keystroke does not end the session. */
  private input(frame: InputFrame): void {
    const refuse = (err: DomainError) =>
      this.write(encodeFrame(null, 'error', 0, errorData(new DomainError(err.code, err.message, { ...err.details, subscription: frame.id }))));
    const sub = this.subs.get(frame.id)?.sub;
    if (!this.subs.has(frame.id)) return void refuse(new DomainError('not_found', `no subscription "${frame.id}"`));
    if (!sub?.input)
      return void refuse(
        new DomainError('invalid_request', `subscription "${frame.id}" takes no ${frame.type} frames (only exec and attach, once subscribed)`),
      );
    Promise.resolve()
      .then(() => sub.input!(frame))
      .catch((err: unknown) => refuse(isDomainError(err) ? err : new DomainError('internal_error', 'the input could not be delivered')));
  }

  private async subscribe(frame: SubscribeFrame): Promise<void> {
    const refuse = (err: DomainError) => {
      this.audit(frame, err.code);
      this.write(encodeFrame(frame.id, 'error', 0, errorData(err)));
    };
    if (this.subs.has(frame.id))
      return void refuse(new DomainError('conflict', `subscription "${frame.id}" already exists; unsubscribe first or pick another id`));
    if (this.subs.size >= this.limits.maxSubscriptions) {
      return void refuse(new DomainError('rate_limited', `at most ${this.limits.maxSubscriptions} subscriptions per connection`));
    }
    const channel = this.channels[frame.channel] as Channel<SubscribeFrame>;
    if (!roleAllows(this.principal.role, channel.role)) {
      return void refuse(new DomainError('forbidden', `the ${frame.channel} channel needs the ${channel.role} role`));
    }
    let release: () => void;
    try {
      release = this.guard(frame.channel, this.principal);
    } catch (err) {
      return void refuse(isDomainError(err) ? err : new DomainError('internal_error', 'the subscription could not be admitted'));
    }
    const sink = new Sink(frame.id, this);
    const entry: { sub?: Subscription; sink: Sink; release: () => void } = { sink, release };
    this.subs.set(frame.id, entry);
    try {
      const sub = await channel.open(frame, sink);
      // Unsubscribed or disconnected while the channel was opening: release what it opened.
      if (!sink.isOpen) sub.close();
      else entry.sub = sub;
      this.audit(frame, 'subscribed');
    } catch (err) {
      const e = isDomainError(err) ? err : new DomainError('internal_error', 'the subscription could not be opened');
      this.audit(frame, e.code);
      if (!isDomainError(err)) this.logger.error({ err, channel: frame.channel }, 'websocket subscription failed');
      if (this.subs.get(frame.id) === entry) sink.fail(e);
      release();
    }
  }

  /** One audit line per subscription attempt: who, which channel, on what, and how it ended. */
  private audit(frame: SubscribeFrame, result: string): void {
    const f = frame as { container?: string; jobId?: string; execId?: string };
    const target = auditTarget(f.container ?? f.jobId ?? f.execId ?? null);
    if (this.recordAudit && (frame.channel === 'exec' || frame.channel === 'attach')) {
      this.recordAudit({ operation: `subscribe:${frame.channel}`, target, ok: result === 'subscribed' });
    }
    this.auditLog.info({ token: this.principal.name, operation: `subscribe:${frame.channel}`, target, status: result }, 'audit');
  }

  /** Called by a sink when its subscription ends for any reason. */
  forget(id: string, sink: Sink): void {
    const entry = this.subs.get(id);
    if (!entry || entry.sink !== sink) return;
    this.subs.delete(id);
    entry.sub?.close();
    entry.release();
  }

  private takeToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.limits.frameBurst, this.tokens + ((now - this.lastRefill) / 1000) * this.limits.framesPerSecond);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private release(): void {
    for (const [id, entry] of [...this.subs]) {
      entry.sink.closed = true;
      this.forget(id, entry.sink);
    }
  }

  get softLimit(): number {
    return this.limits.softBufferedBytes;
  }
}

class Sink implements SubscriptionSink {
  closed = false;
  private seq = 0;

  constructor(
    readonly id: string,
    private readonly conn: ClientConnection,
  ) {}

  get principal(): Principal {
    return this.conn.principal;
  }

  get isOpen(): boolean {
    return !this.closed && this.conn.isOpen;
  }

  get bufferedAmount(): number {
    return this.conn.bufferedAmount;
  }

  async drained(): Promise<void> {
    while (this.isOpen && this.conn.bufferedAmount > this.conn.softLimit) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  send(type: Parameters<SubscriptionSink['send']>[0], data: unknown, opts: { seq?: number; raw?: string } = {}): boolean {
    if (!this.isOpen) return false;
    const seq = opts.seq ?? ++this.seq;
    this.seq = Math.max(this.seq, seq);
    return this.conn.write(encodeFrame(this.id, type, seq, data, opts.raw));
  }

  end(data: { reason: string } & Record<string, unknown>, seq?: number): void {
    this.finish('end', data, seq);
  }

  fail(err: DomainError, seq?: number): void {
    this.finish('error', errorData(err), seq);
  }

  private finish(type: 'end' | 'error', data: unknown, seq?: number): void {
    if (!this.isOpen) return;
    this.closed = true;
    this.conn.write(encodeFrame(this.id, type, seq ?? ++this.seq, data));
    this.conn.forget(this.id, this);
  }
}
