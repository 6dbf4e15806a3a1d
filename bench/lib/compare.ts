import { sleep, summarize, type Summary } from './stats';

/** One side of a comparison: a request that resolves with the HTTP status it got. */
export type Call = () => Promise<number>;

export interface SideResult {
  latency: Summary;
  /** Requests per second while this side's blocks ran (completed requests / their wall time). */
  rps: number;
  errors: number;
  /** The first non-2xx status seen, to say what failed. */
  firstError?: number;
}

export interface ComparisonResult {
  service: SideResult;
  direct: SideResult;
}

interface Acc {
  samples: number[];
  busyMs: number;
  errors: number;
  firstError?: number;
}

async function block(call: Call, concurrency: number, count: number, acc: Acc): Promise<void> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      const t = performance.now();
      let status: number;
      try {
        status = await call();
      } catch {
        status = 0;
      }
      acc.samples.push(performance.now() - t);
      if (status < 200 || status >= 300) {
        acc.errors++;
        acc.firstError ??= status;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  acc.busyMs += performance.now() - t0;
}

const finish = (a: Acc): SideResult => ({
  latency: summarize(a.samples),
  rps: (a.samples.length / a.busyMs) * 1000,
  errors: a.errors,
  firstError: a.firstError,
});

/**
 * The service and the direct call in alternating blocks (ABBA…), so both see the same machine: a noisy
 * neighbour slows both sides, not one. A warm-up block of each side is not counted.
 */
export async function compare(service: Call, direct: Call, o: { concurrency: number; perBlock: number; blocks: number }): Promise<ComparisonResult> {
  const s: Acc = { samples: [], busyMs: 0, errors: 0 };
  const d: Acc = { samples: [], busyMs: 0, errors: 0 };
  const warm: Acc = { samples: [], busyMs: 0, errors: 0 };
  await block(service, o.concurrency, Math.max(o.concurrency, 5), warm);
  await block(direct, o.concurrency, Math.max(o.concurrency, 5), warm);
  for (let b = 0; b < o.blocks; b++) {
    const order: [Call, Acc][] =
      b % 2 === 0
        ? [
            [service, s],
            [direct, d],
          ]
        : [
            [direct, d],
            [service, s],
          ];
    for (const [call, acc] of order) await block(call, o.concurrency, o.perBlock, acc);
    await sleep(5);
  }
  return { service: finish(s), direct: finish(d) };
}

/**
 * More than two sides (the fleet view and each engine's own list): blocks of each in an order that rotates from
 * block to block, so every side runs first, middle and last as often as the others. One warm-up block each.
 */
export async function compareMany(
  calls: Record<string, Call>,
  o: { concurrency: number; perBlock: number; blocks: number },
): Promise<Record<string, SideResult>> {
  const names = Object.keys(calls);
  const accs = new Map<string, Acc>(names.map((n) => [n, { samples: [], busyMs: 0, errors: 0 }]));
  const warm: Acc = { samples: [], busyMs: 0, errors: 0 };
  for (const n of names) await block(calls[n], o.concurrency, Math.max(o.concurrency, 5), warm);
  for (let b = 0; b < o.blocks; b++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(b + k) % names.length];
      await block(calls[n], o.concurrency, o.perBlock, accs.get(n)!);
    }
    await sleep(5);
  }
  return Object.fromEntries(names.map((n) => [n, finish(accs.get(n)!)]));
}

/** Samples one side's blocks into a result of their own (for phases the caller alternates itself). */
export function newSide(): { run(call: Call, concurrency: number, count: number): Promise<void>; result(): SideResult } {
  const acc: Acc = { samples: [], busyMs: 0, errors: 0 };
  return { run: (call, concurrency, count) => block(call, concurrency, count, acc), result: () => finish(acc) };
}
