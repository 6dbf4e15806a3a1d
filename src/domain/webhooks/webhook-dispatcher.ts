import { randomUUID } from 'node:crypto';
import { isDomainError } from '../errors';
import type { Delivery, DeliveryKind, StoredDelivery, Webhook, WebhookSender, WebhookStore } from './webhook';
import { signature } from './signature';

export interface DispatchOptions {
  /** Deliveries waiting per webhook; beyond, the oldest waiting one is dropped (and counted). */
  queueSize: number;
  /** One POST may take this long until the receiver's status line. */
  attemptTimeoutMs: number;
  /** A delivery is retried until this long after its first attempt; then it fails. */
  retryForMs: number;
  /** First retry delay; doubles per attempt up to maxDelayMs, each with random jitter (half to all of it). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface DispatchObserver {
  dropped(): void;
  ended(status: 'succeeded' | 'failed'): void;
}

interface Lane {
  webhook: Webhook;
  queue: StoredDelivery[];
  running: boolean;
}

const retryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * Deliveries, one lane per webhook: the events hub and the job service only append to a lane (in memory, never
 * waiting), each lane's worker posts its deliveries one after the other with retries, so a slow or dead receiver
 * holds up its own lane alone. A full lane drops its oldest waiting delivery. Rows are written in one transaction
 * per event-loop turn, never in the publisher's call.
 */
export class WebhookDispatcher {
  private readonly lanes = new Map<string, Lane>();
  private unwritten: StoredDelivery[] = [];
  private scheduled = false;
  private readonly stop = new AbortController();
  /** A resumed delivery's retry window runs from when the last run queued it, not from its first attempt here. */
  private readonly windowFrom = new WeakMap<StoredDelivery, number>();

  constructor(
    private readonly store: WebhookStore,
    private readonly sender: WebhookSender,
    private readonly opts: DispatchOptions,
    private readonly observer: DispatchObserver,
    private readonly onError: (err: unknown) => void,
    private readonly random: () => number = Math.random,
  ) {
    for (const w of store.list()) this.lanes.set(w.id, { webhook: w, queue: [], running: false });
    this.resumePending();
  }

  /**
   * Deliveries the last run left pending (it stopped or crashed mid-retry) are sent again, under the same delivery id
   * (a receiver that got one before the stop sees `Dockhand-Delivery` again: deliveries are at least once), while
   * still inside their retry window counted from when they were queued; past it, they end as failed.
   */
  private resumePending(): void {
    const now = Date.now();
    for (const d of this.store.pendingDeliveries()) {
      const lane = this.lanes.get(d.webhookId);
      const queuedAt = Date.parse(d.createdAt);
      if (!lane) {
        this.settle(d, { status: 'failed', lastError: 'the service stopped before this delivery ended, and the webhook is gone' });
        continue;
      }
      if (!(now - queuedAt < this.opts.retryForMs)) {
        this.settle(d, { status: 'failed', lastError: 'the service stopped before this delivery ended, and its retry window has passed' });
        continue;
      }
      this.windowFrom.set(d, queuedAt);
      this.queue(lane, d);
    }
  }

  /** A webhook created or changed (its lane keeps what waits); undefined: removed (what waits is forgotten). */
  changed(id: string, webhook: Webhook | undefined): void {
    const lane = this.lanes.get(id);
    if (!webhook) {
      this.lanes.delete(id);
      if (lane) lane.queue.length = 0;
    } else if (lane) lane.webhook = webhook;
    else this.lanes.set(id, { webhook, queue: [], running: false });
  }

  /** Queues one delivery of `data` to every webhook `wants`; returns at once. */
  publish(kind: DeliveryKind, data: unknown, wants: (w: Webhook) => boolean): void {
    if (this.stop.signal.aborted) return;
    let payload: string | undefined;
    for (const lane of this.lanes.values()) {
      if (!wants(lane.webhook)) continue;
      payload ??= JSON.stringify({ kind, occurredAt: new Date().toISOString(), data });
      this.enqueue(lane, kind, payload);
    }
  }

  /** Sends a recorded delivery's body again, as a new delivery. */
  redeliver(webhookId: string, original: StoredDelivery): Delivery {
    const lane = this.lanes.get(webhookId);
    if (!lane) throw new Error(`no lane for webhook ${webhookId}`);
    const d = this.enqueue(lane, original.kind, original.payload);
    this.flush();
    return strip(d);
  }

  close(): void {
    this.stop.abort();
    for (const lane of this.lanes.values()) lane.queue.length = 0;
    this.flush();
  }

  /** Writes the deliveries queued since the last turn, in one transaction. */
  flush(): void {
    this.scheduled = false;
    if (this.unwritten.length === 0) return;
    const rows = this.unwritten;
    this.unwritten = [];
    try {
      this.store.addDeliveries(rows);
    } catch (err) {
      this.onError(err);
    }
  }

  private enqueue(lane: Lane, kind: DeliveryKind, payload: string): StoredDelivery {
    const now = new Date().toISOString();
    const d: StoredDelivery = {
      id: randomUUID(),
      webhookId: lane.webhook.id,
      kind,
      status: 'pending',
      attempts: 0,
      responseStatus: null,
      lastError: null,
      latencyMs: null,
      createdAt: now,
      updatedAt: now,
      payload,
    };
    this.unwritten.push(d);
    this.queue(lane, d);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return d;
  }

  /** Puts `d` in its lane (dropping the oldest waiting one when full) and makes sure the lane's worker runs. */
  private queue(lane: Lane, d: StoredDelivery): void {
    lane.queue.push(d);
    if (lane.queue.length > this.opts.queueSize) {
      const old = lane.queue.shift() as StoredDelivery;
      this.settle(old, { status: 'dropped', lastError: `dropped: more than ${this.opts.queueSize} deliveries waited for this webhook` });
      this.observer.dropped();
    }
    if (!lane.running) {
      lane.running = true;
      setImmediate(() => void this.drain(lane));
    }
  }

  private async drain(lane: Lane): Promise<void> {
    try {
      for (let d = lane.queue.shift(); d && !this.stop.signal.aborted; d = lane.queue.shift()) {
        this.flush(); // its row exists before it is updated
        await this.deliver(lane, d);
      }
    } catch (err) {
      this.onError(err);
    } finally {
      lane.running = false;
      if (lane.queue.length > 0 && !this.stop.signal.aborted) {
        lane.running = true;
        setImmediate(() => void this.drain(lane));
      }
    }
  }

  private async deliver(lane: Lane, d: StoredDelivery): Promise<void> {
    const first = this.windowFrom.get(d) ?? Date.now();
    for (;;) {
      const secret = this.store.secretOf(lane.webhook.id);
      if (secret === undefined) return this.settle(d, { status: 'failed', lastError: 'the webhook was removed' });
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': 'Dockhand-Webhook/1',
        'Dockhand-Event': d.kind,
        'Dockhand-Delivery': d.id,
        'Dockhand-Signature': signature(secret, Math.floor(Date.now() / 1000), d.payload),
      };
      const t0 = Date.now();
      let again: boolean;
      let patch: Partial<Delivery>;
      try {
        const { status } = await this.sender.post(lane.webhook.url, headers, d.payload, this.opts.attemptTimeoutMs);
        const latencyMs = Date.now() - t0;
        if (status >= 200 && status < 300)
          return this.settle(d, { status: 'succeeded', attempts: d.attempts + 1, responseStatus: status, lastError: null, latencyMs });
        again = retryable(status);
        const why =
          status >= 300 && status < 400 ? `the receiver answered ${status} (redirects are not followed)` : `the receiver answered ${status}`;
        patch = { attempts: d.attempts + 1, responseStatus: status, lastError: why, latencyMs };
      } catch (err) {
        // A target the policy refuses now (a name that resolves elsewhere, a host no longer listed) is not retried.
        again = !(isDomainError(err) && err.code === 'policy_denied');
        patch = {
          attempts: d.attempts + 1,
          responseStatus: null,
          lastError: err instanceof Error ? err.message : String(err),
          latencyMs: Date.now() - t0,
        };
      }
      const delay = this.backoff(d.attempts + 1);
      if (!again || Date.now() + delay - first > this.opts.retryForMs) return this.settle(d, { ...patch, status: 'failed' });
      // Still pending: retried after the delay, or by the next start when this one stops first.
      this.settle(d, patch);
      if (!(await this.sleep(delay))) return;
    }
  }

  /** The delay before attempt n+1: base·2^(n-1), at most maxDelayMs, then "equal jitter" (half fixed, half random). */
  backoff(attempt: number): number {
    const cap = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.min(30, attempt - 1));
    return Math.round(cap / 2 + this.random() * (cap / 2));
  }

  private settle(d: StoredDelivery, patch: Partial<Delivery>): void {
    Object.assign(d, patch, { updatedAt: new Date().toISOString() });
    if (d.status === 'succeeded' || d.status === 'failed') this.observer.ended(d.status);
    // Still waiting to be written: the insert carries the change.
    if (this.unwritten.includes(d)) return;
    try {
      this.store.updateDelivery(strip(d));
    } catch (err) {
      this.onError(err);
    }
  }

  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.stop.signal.aborted) return resolve(false);
      const done = () => {
        clearTimeout(t);
        resolve(false);
      };
      const t = setTimeout(() => {
        this.stop.signal.removeEventListener('abort', done);
        resolve(true);
      }, ms);
      this.stop.signal.addEventListener('abort', done, { once: true });
    });
  }
}

function strip(d: StoredDelivery): Delivery {
  const { payload: _payload, ...rest } = d;
  return rest;
}
