import { RateLimiter } from '../../../src/domain/limits/rate-limiter';
import { DomainError } from '../../../src/domain/errors';

const refusal = (fn: () => void): DomainError | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err as DomainError;
  }
};

describe('RateLimiter', () => {
  test('when a token spends its minute of budget, then the next call is rate_limited with the seconds until one is free', () => {
    let now = 0;
    const limiter = new RateLimiter('pulls', 3, () => now);
    for (let i = 0; i < 3; i++) limiter.take('alice');
    const err = refusal(() => limiter.take('alice'));
    expect(err?.code).toBe('rate_limited');
    expect(err?.details).toMatchObject({ retryAfterSeconds: 20, limit: 'pulls' });
    now += 20_000;
    expect(refusal(() => limiter.take('alice'))).toBeUndefined();
  });

  test('when one token is out of budget, then another token is not affected', () => {
    const limiter = new RateLimiter('log_tails', 1, () => 0);
    limiter.take('alice');
    expect(refusal(() => limiter.take('alice'))?.code).toBe('rate_limited');
    expect(refusal(() => limiter.take('bob'))).toBeUndefined();
  });

  test('when the limit is 0, then nothing is ever refused', () => {
    const limiter = new RateLimiter('execs', 0, () => 0);
    for (let i = 0; i < 1000; i++) limiter.take('alice');
  });

  test('when more keys than the cap are seen, then refilled buckets are forgotten and spent ones kept', () => {
    let now = 0;
    const limiter = new RateLimiter('pulls', 1, () => now, 2);
    limiter.take('spent');
    now += 60_000; // 'spent' is full again
    limiter.take('a');
    limiter.take('b'); // over the cap: full buckets go ('spent'), spent ones ('a', 'b') stay
    expect(refusal(() => limiter.take('a'))?.code).toBe('rate_limited');
    expect(refusal(() => limiter.take('spent'))).toBeUndefined();
  });
});
