import { DomainError } from '../errors';

/** Seconds a client refused for holding too many streams is told to wait: streams end when their holder lets go. */
const RETRY_AFTER_S = 5;

/**
 * Concurrent long-lived streams (WebSocket logs, stats, events, exec and attach subscriptions, each an engine stream
 * or a place in the fan-out) per token name and in all, across every connection: one token cannot hold the
 * engine's connections, and cannot take the whole service's share from the others. 0 turns a cap off.
 */
export class StreamBudget {
  private readonly held = new Map<string, number>();
  private total = 0;

  constructor(
    readonly perToken: number,
    readonly global: number,
  ) {}

  get inUse(): number {
    return this.total;
  }

  /** Takes one stream for `token`, or throws rate_limited. The returned function gives it back (once). */
  acquire(token: string): () => void {
    const mine = this.held.get(token) ?? 0;
    if (this.perToken > 0 && mine >= this.perToken) {
      throw new DomainError('rate_limited', `token "${token}" already holds ${mine} streams (at most ${this.perToken} per token)`, {
        retryAfterSeconds: RETRY_AFTER_S,
        limit: 'streams_per_token',
      });
    }
    if (this.global > 0 && this.total >= this.global) {
      throw new DomainError('rate_limited', `the service holds its ${this.global} streams; retry shortly`, {
        retryAfterSeconds: RETRY_AFTER_S,
        limit: 'streams',
      });
    }
    this.held.set(token, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const n = (this.held.get(token) ?? 1) - 1;
      if (n <= 0) this.held.delete(token);
      else this.held.set(token, n);
    };
  }
}
