import { createHash } from 'node:crypto';
import { DomainError, type ErrorCode } from '../errors';

/** A first answer kept for replay: the value, or the (client-side) failure it ended with. */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: DomainError };

interface Entry<T> {
  fingerprint: string;
  outcome?: Outcome<T>;
  expiresAt: number;
}

export interface IdempotencyOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/** Failures worth retrying: the key is forgotten so the retry really runs again. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'engine_unavailable',
  'engine_timeout',
  'engine_error',
  'registry_unreachable',
  'internal_error',
  'shutting_down',
  'rate_limited',
]);

/** A digest of a JSON body with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
export function fingerprint(body: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(body) ?? null))
    .digest('hex');
}

/**
 * Idempotency-Key semantics (as in the IETF draft): the same key with the same body answers the first answer
 * again; with another body it is refused; while the first is running a repeat is refused. Keys are scoped by
 * the caller (token name). Bounded by a TTL and a maximum number of entries, oldest evicted first.
 */
export class IdempotencyStore<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly now: () => number;

  constructor(private readonly opts: IdempotencyOptions) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Runs `fn` once per (scope, key); `replayed` is true when the answer is the stored one. */
  async run(scope: string, key: string, print: string, fn: () => Promise<T>): Promise<{ value: T; replayed: boolean }> {
    this.evict();
    const id = `${scope}\n${key}`;
    const existing = this.entries.get(id);
    if (existing) {
      if (existing.fingerprint !== print) {
        throw new DomainError('idempotency_mismatch', 'this Idempotency-Key was already used with a different request body');
      }
      if (!existing.outcome) throw new DomainError('idempotency_in_progress', 'a request with this Idempotency-Key is still being processed');
      if (!existing.outcome.ok) throw existing.outcome.error;
      return { value: existing.outcome.value, replayed: true };
    }
    const entry: Entry<T> = { fingerprint: print, expiresAt: this.now() + this.opts.ttlMs };
    this.entries.set(id, entry);
    try {
      const value = await fn();
      entry.outcome = { ok: true, value };
      return { value, replayed: false };
    } catch (err) {
      if (err instanceof DomainError && !TRANSIENT.has(err.code)) entry.outcome = { ok: false, error: err };
      else this.entries.delete(id);
      throw err;
    } finally {
      entry.expiresAt = this.now() + this.opts.ttlMs;
    }
  }

  private evict(): void {
    const now = this.now();
    for (const [id, e] of this.entries) {
      if (e.outcome && e.expiresAt <= now) this.entries.delete(id);
    }
    // Oldest first (Map keeps insertion order); in-flight entries are kept, they protect a running create.
    for (const [id, e] of this.entries) {
      if (this.entries.size < this.opts.maxEntries) break;
      if (e.outcome) this.entries.delete(id);
    }
  }
}
