import { DomainError, isDomainError } from '../../../src/domain/errors';
import { fingerprint, IdempotencyStore } from '../../../src/domain/containers/idempotency-store';

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
  } catch (e) {
    return isDomainError(e) ? e.code : 'other';
  }
  return undefined;
};

function store(maxEntries = 10) {
  let now = 0;
  const s = new IdempotencyStore<string>({ ttlMs: 1000, maxEntries, now: () => now });
  return { s, advance: (ms: number) => (now += ms) };
}

describe('IdempotencyStore', () => {
  test('when the same key and body come again, then the first answer is replayed without running again', async () => {
    const { s } = store();
    const fn = jest.fn(async () => 'created-1');
    expect(await s.run('alice', 'k', 'p', fn)).toEqual({ value: 'created-1', replayed: false });
    expect(await s.run('alice', 'k', 'p', fn)).toEqual({ value: 'created-1', replayed: true });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  test('when the same key comes with another body, then idempotency_mismatch', async () => {
    const { s } = store();
    await s.run('alice', 'k', 'p1', async () => 'x');
    expect(await codeOf(s.run('alice', 'k', 'p2', async () => 'y'))).toBe('idempotency_mismatch');
  });

  test('when a duplicate arrives while the first runs, then idempotency_in_progress', async () => {
    const { s } = store();
    let release!: () => void;
    const first = s.run('alice', 'k', 'p', () => new Promise<string>((r) => (release = () => r('x'))));
    expect(await codeOf(s.run('alice', 'k', 'p', async () => 'y'))).toBe('idempotency_in_progress');
    release();
    expect((await first).value).toBe('x');
  });

  test('when two tokens use the same key, then each has its own entry', async () => {
    const { s } = store();
    await s.run('alice', 'k', 'p1', async () => 'a');
    expect(await s.run('bob', 'k', 'p2', async () => 'b')).toEqual({ value: 'b', replayed: false });
  });

  test('when the first ended with a client error, then the error is replayed; a transient one is not kept', async () => {
    const { s } = store();
    await codeOf(s.run('a', 'k1', 'p', async () => Promise.reject(new DomainError('name_conflict', 'taken'))));
    const again = jest.fn(async () => 'x');
    expect(await codeOf(s.run('a', 'k1', 'p', again))).toBe('name_conflict');
    expect(again).not.toHaveBeenCalled();
    await codeOf(s.run('a', 'k2', 'p', async () => Promise.reject(new DomainError('engine_unavailable', 'down'))));
    expect(await s.run('a', 'k2', 'p', async () => 'retried')).toEqual({ value: 'retried', replayed: false });
  });

  test('when the TTL has passed, then the key is free again', async () => {
    const { s, advance } = store();
    await s.run('a', 'k', 'p1', async () => 'x');
    advance(1001);
    expect(await s.run('a', 'k', 'p2', async () => 'y')).toEqual({ value: 'y', replayed: false });
  });

  test('when more keys than the bound arrive, then the oldest are forgotten and the size stays bounded', async () => {
    const { s } = store(3);
    for (let i = 0; i < 10; i++) await s.run('a', `k${i}`, 'p', async () => `v${i}`);
    expect(s.size).toBeLessThanOrEqual(3);
    expect(await s.run('a', 'k9', 'p', async () => 'new')).toEqual({ value: 'v9', replayed: true });
    expect(await s.run('a', 'k0', 'p', async () => 'new')).toEqual({ value: 'new', replayed: false });
  });

  test('when bodies differ only in key order, then their fingerprints are equal', () => {
    expect(fingerprint({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(fingerprint({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
  });
});
