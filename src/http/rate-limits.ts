import type { RequestHandler } from 'express';
import { RateLimiter } from '../domain/limits/rate-limiter';
import { isDomainError } from '../domain/errors';
import { principalOf } from './auth';

export interface RateLimitConfig {
  pullsPerMinute: number;
  logTailsPerMinute: number;
  execsPerMinute: number;
}

/** The costly operations and the budget each draws on (operation ids of openapi.yaml, which documents their 429). */
const LIMITED: Record<string, keyof RateLimitConfig> = {
  pullImage: 'pullsPerMinute',
  pushImage: 'pullsPerMinute',
  getContainerLogs: 'logTailsPerMinute',
  createContainerExec: 'execsPerMinute',
};

const NAMES: Record<keyof RateLimitConfig, string> = { pullsPerMinute: 'pulls', logTailsPerMinute: 'log_tails', execsPerMinute: 'execs' };

/**
 * Per-token budgets on the costly operations, after the contract validator (so only valid, authenticated calls
 * count). Over budget: 429 rate_limited with Retry-After, before any engine call.
 */
export function rateLimits(
  cfg: RateLimitConfig,
  onLimited: (limit: string) => void = () => undefined,
  shared: Partial<Record<keyof RateLimitConfig, RateLimiter>> = {},
): RequestHandler {
  // A budget another way in also draws on (WebSocket logs follows take from logTailsPerMinute) comes built.
  const limiters = Object.fromEntries(
    (Object.keys(NAMES) as (keyof RateLimitConfig)[]).map((k) => [k, shared[k] ?? new RateLimiter(NAMES[k], cfg[k])]),
  ) as Record<keyof RateLimitConfig, RateLimiter>;
  return (req, _res, next) => {
    const op = (req as { openapi?: { schema?: { operationId?: string } } }).openapi?.schema?.operationId;
    const budget = op ? LIMITED[op] : undefined;
    if (!budget) return next();
    try {
      limiters[budget].take(principalOf(req).name);
      next();
    } catch (err) {
      if (isDomainError(err) && err.code === 'rate_limited') onLimited(NAMES[budget]);
      next(err);
    }
  };
}
