/**
 * Several engines (issue 16): three private dockerd behind one service process. The fleet view against each
 * engine's own list, events of three engines fanned out to 1,000 subscribers against the bare-`ws` floor, and
 * one engine's reads while another is hung (SIGSTOP) against the same reads while it is healthy.
 */
import type { EngineSocket } from './lib/engine-socket';
import { compareMany, newSide, type Call, type SideResult } from './lib/compare';
import type { ServiceClient } from './lib/service-process';
import { latencyOf, runFloor, startSubscribers, type FloorRow } from './events';
import { sleep, summarize, type Summary } from './lib/stats';

/** The engines as the service names them, with the socket the bench reaches each one on. */
export interface BenchEngine {
  name: string;
  sock: EngineSocket;
  /** Hangs the engine (resolves once it is stopped) and lets it go on: support/private-engine's pause and resume. */
  pause(): Promise<void>;
  resume(): void;
}

export interface EnginesResult {
  engines: string[];
  containersEach: number;
  fleet: {
    concurrency: number;
    all: SideResult;
    single: { engine: string; result: SideResult }[];
    /** The three engine reads at once on the engine sockets, and each alone (no service). */
    directAll: SideResult;
    directSingle: { engine: string; result: SideResult }[];
  };
  events?: { subscribers: number; events: number; ws: Summary; missing: number; missingByEngine: Record<string, number>; floor: FloorRow };
  isolation: {
    reader: string;
    hung: string;
    healthy: SideResult;
    whileHung: SideResult;
    /** Fleet views sent while the engine hung: how many, and how many said it was missing. */
    fleetDuringHang: { sent: number; reportedMissing: number; latency: Summary };
  };
}

const NO_CACHE = { 'Cache-Control': 'no-cache' };
const ENGINE = /"engine":"([^"]+)"/;

const get =
  (svc: ServiceClient, path: string): Call =>
  async () =>
    (await svc.request('GET', path, undefined, NO_CACHE)).status;

/** 1. The merged list over every engine against each engine's own list, same service, same run, rotating blocks. */
async function runFleet(svc: ServiceClient, engines: BenchEngine[], level: { concurrency: number; perBlock: number; blocks: number }) {
  const calls: Record<string, Call> = { all: get(svc, '/api/v1/engines/all/containers?all=true') };
  for (const e of engines) calls[e.name] = get(svc, `/api/v1/engines/${e.name}/containers?all=true`);
  // The same reads straight on the engine sockets, the three at once and each alone: what this machine allows
  // for asking three engines in parallel at all, with no service in the way.
  const direct = (e: BenchEngine) => async () => (await e.sock.request('GET', '/containers/json?all=1')).status;
  calls['direct:all'] = async () => {
    const statuses = await Promise.all(engines.map((e) => direct(e)()));
    return statuses.find((x) => x < 200 || x >= 300) ?? 200;
  };
  for (const e of engines) calls[`direct:${e.name}`] = direct(e);
  const r = await compareMany(calls, level);
  return {
    concurrency: level.concurrency,
    all: r.all,
    single: engines.map((e) => ({ engine: e.name, result: r[e.name] })),
    directAll: r['direct:all'],
    directSingle: engines.map((e) => ({ engine: e.name, result: r[`direct:${e.name}`] })),
  };
}

/**
 * 2. Image `tag` events (each followed by its `untag`), engine after engine in turn, at the floor's rate (one
 * timed event every 2 × gapMs), to N subscribers of the `events` channel with `engine: ['*']`; then the floor.
 */
async function runFleetEvents(o: {
  engines: BenchEngine[];
  wsUrl: string;
  token: string;
  baseImage: string;
  subscribers: number;
  events: number;
  gapMs: number;
  log: (s: string) => void;
}): Promise<NonNullable<EnginesResult['events']>> {
  const subs = await startSubscribers(o.wsUrl, o.token, o.subscribers, { type: ['image'], action: ['tag', 'untag'], engine: ['*'] });
  await sleep(200);
  for (let i = 0; i < o.events; i++) {
    const e = o.engines[i % o.engines.length];
    const tag = `${i + 1}`;
    await e.sock.json('POST', `/images/${o.baseImage}/tag?repo=bench/ev&tag=${tag}`);
    await sleep(o.gapMs);
    await e.sock.json('DELETE', `/images/bench/ev:${tag}`);
    await sleep(o.gapMs);
  }
  await sleep(1000);
  const lat: number[] = [];
  const got = new Map(o.engines.map((e) => [e.name, 0]));
  const frames = await subs.collect();
  // What came, by kind: says where missing deliveries went (another shape of frame, or none).
  const kinds = new Map<string, number>();
  for (const r of frames) {
    const k = `${/"type":"([a-z_]+)"/.exec(r.text)?.[1]}/${/"action":"([a-z_]+)"/.exec(r.text)?.[1]}/${ENGINE.exec(r.text)?.[1]}`;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  o.log(
    `engines events: frames by type/action/engine ${JSON.stringify(Object.fromEntries(kinds))}; an error: ${frames.find((r) => r.text.includes('"type":"error"'))?.text.slice(0, 300) ?? 'none'}`,
  );
  for (const r of frames) {
    const l = latencyOf(r.text, r.at);
    if (l === undefined) continue;
    lat.push(l);
    const engine = ENGINE.exec(r.text)?.[1] ?? '?';
    got.set(engine, (got.get(engine) ?? 0) + 1);
  }
  const ws = summarize(lat);
  const missingByEngine = Object.fromEntries(
    o.engines.map((e, k) => [e.name, Math.ceil((o.events - k) / o.engines.length) * o.subscribers - (got.get(e.name) ?? 0)]),
  );
  o.log(
    `engines events n=${o.subscribers}: ws p50 ${ws.p50.toFixed(2)} p99 ${ws.p99.toFixed(2)} missing ${o.events * o.subscribers - lat.length} ${JSON.stringify(missingByEngine)}`,
  );
  const [floor] = await runFloor({ levels: [{ subscribers: o.subscribers, servers: 1 }], eventsPerLevel: o.events, gapMs: o.gapMs, log: o.log });
  return { subscribers: o.subscribers, events: o.events, ws, missing: o.events * o.subscribers - lat.length, missingByEngine, floor };
}

/**
 * 3. Engine `reader`'s list (no-cache, c=1) in blocks that alternate between `hung` healthy and `hung` stopped
 * with SIGSTOP (ABBA…). In both phases a fleet view goes out every `fleetEveryMs` beside the reads, so while it
 * hangs the stopped engine is really being asked (those calls wait for the service's engine timeout).
 */
async function runIsolation(
  svc: ServiceClient,
  reader: BenchEngine,
  hung: BenchEngine,
  o: { blockMs: number; blocks: number; fleetEveryMs: number; log: (s: string) => void },
): Promise<EnginesResult['isolation']> {
  const healthy = newSide();
  const whileHung = newSide();
  const read = get(svc, `/api/v1/engines/${reader.name}/containers?all=true`);
  const fleetLat: number[] = [];
  let fleetSent = 0;
  let reportedMissing = 0;
  const pending: Promise<void>[] = [];
  const fleetBeside = (counted: boolean) => {
    const timer = setInterval(() => {
      const t = performance.now();
      if (counted) fleetSent++;
      pending.push(
        svc.request('GET', '/api/v1/engines/all/containers?all=true', undefined, NO_CACHE).then(
          (r) => {
            if (!counted) return;
            fleetLat.push(performance.now() - t);
            const body = JSON.parse(r.body.toString()) as { missing?: { engine: string }[] };
            if (body.missing?.some((m) => m.engine === hung.name)) reportedMissing++;
          },
          () => undefined,
        ),
      );
    }, o.fleetEveryMs);
    return () => clearInterval(timer);
  };
  let stopped = false;
  try {
    await healthy.run(read, 1, 5);
    for (let b = 0; b < o.blocks; b++) {
      const order = b % 2 === 0 ? ['healthy', 'hung'] : ['hung', 'healthy'];
      for (const phase of order) {
        if (phase === 'hung') {
          await hung.pause();
          stopped = true;
          // Let the service's calls to it pile up before timing.
          await sleep(200);
        }
        const stopFleet = fleetBeside(phase === 'hung');
        // A block lasts blockMs (longer than the service's engine timeout, so fleet views sent early in it answer
        // with the hung engine missing); both phases alike.
        const side = phase === 'hung' ? whileHung : healthy;
        const until = performance.now() + o.blockMs;
        while (performance.now() < until) await side.run(read, 1, 10);
        stopFleet();
        if (phase === 'hung') {
          hung.resume();
          stopped = false;
          await sleep(300);
        }
      }
    }
  } finally {
    if (stopped) hung.resume();
  }
  await Promise.all(pending.splice(0));
  const result = {
    reader: reader.name,
    hung: hung.name,
    healthy: healthy.result(),
    whileHung: whileHung.result(),
    fleetDuringHang: { sent: fleetSent, reportedMissing, latency: summarize(fleetLat) },
  };
  o.log(
    `engines isolation ${reader.name}: healthy p50 ${result.healthy.latency.p50.toFixed(2)} p99 ${result.healthy.latency.p99.toFixed(2)} / ` +
      `${hung.name} hung p50 ${result.whileHung.latency.p50.toFixed(2)} p99 ${result.whileHung.latency.p99.toFixed(2)} ` +
      `(errors ${result.healthy.errors}/${result.whileHung.errors}; fleet views while hung ${fleetSent}, ${reportedMissing} said ${hung.name} missing)`,
  );
  return result;
}

export async function runEngines(o: {
  svc: ServiceClient;
  engines: BenchEngine[];
  containersEach: number;
  wsUrl: string;
  token: string;
  baseImage: string;
  quick: boolean;
  /** The service's ENGINE_TIMEOUT_MS: what a fleet view waits for a hung engine. */
  engineTimeoutMs: number;
  log: (s: string) => void;
}): Promise<EnginesResult> {
  const fleet = await runFleet(o.svc, o.engines, { concurrency: 1, perBlock: 100, blocks: o.quick ? 2 : 6 });
  o.log(
    `engines fleet: all p50 ${fleet.all.latency.p50.toFixed(2)} p99 ${fleet.all.latency.p99.toFixed(2)}; ` +
      fleet.single.map((s) => `${s.engine} p50 ${s.result.latency.p50.toFixed(2)} p99 ${s.result.latency.p99.toFixed(2)}`).join('; ') +
      `; direct: all p50 ${fleet.directAll.latency.p50.toFixed(2)}; ` +
      fleet.directSingle.map((s) => `${s.engine} p50 ${s.result.latency.p50.toFixed(2)}`).join('; '),
  );
  const events = await runFleetEvents({
    engines: o.engines,
    wsUrl: o.wsUrl,
    token: o.token,
    baseImage: o.baseImage,
    subscribers: o.quick ? 100 : 1000,
    events: o.quick ? 12 : 99,
    gapMs: 100,
    log: o.log,
  });
  const isolation = await runIsolation(o.svc, o.engines[0], o.engines[1], {
    blockMs: o.engineTimeoutMs + 1500,
    blocks: o.quick ? 2 : 4,
    fleetEveryMs: 250,
    log: o.log,
  });
  return { engines: o.engines.map((e) => e.name), containersEach: o.containersEach, fleet, events, isolation };
}
