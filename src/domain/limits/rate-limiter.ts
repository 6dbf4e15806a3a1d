import { DomainError } from '../errors';

/** A token bucket per key (a token name): `perMinute` calls a minute sustained, a minute's worth in a burst. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** What is limited, for messages and metrics (`pulls`, `log_tails` …). */
    readonly name: string,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    /** Keys remembered at most; full buckets are forgotten first (they carry no state). */
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one call from `key`'s budget, or throws rate_limited with the seconds until one is free. 0 = unlimited. */
  take(key: string): void {
    if (this.perMinute <= 0) return;
    const now = this.now();
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
      throw new DomainError(
        'rate_limited',
        `at most ${this.perMinute} ${this.name.replace(/_/g, ' ')} a minute per token; retry in ${retryAfterSeconds} s`,
        {
          retryAfterSeconds,
          limit: this.name,
        },
      );
    }
    b.tokens -= 1;
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) this.forgetFull(now, rate);
  }

  private forgetFull(now: number, rate: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (now - b.at) * rate >= this.perMinute) this.buckets.delete(k);
    }
  }
}
