/**
 * `npm run bench` (through scripts/bench.sh, which brings up the isolated environment and builds dist/).
 * Everything heavy runs on a PRIVATE dockerd (its own data root and socket, killed by pid at the end), so the
 * shared test engine only serves as the loopback registry's neighbour. Prints one table, rewrites the figures
 * section of BENCHMARKS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPrivateEngine, type PrivateEngine } from '../support/private-engine';
import { testEnv } from '../support/test-env';
import { runEngines, type BenchEngine } from './engines';
import { runEvents, runFloor } from './events';
import { EngineSocket } from './lib/engine-socket';
import { createContainers, ensurePullImage, importImages } from './lib/fixtures';
import { ROOT, ServiceClient, startServiceProcess, type ServiceProcess } from './lib/service-process';
import { runIdleMemory, steadyRss } from './memory';
import { runPull } from './pull';
import {
  renderEnginesTable,
  renderHopTable,
  renderSwarmTable,
  renderTable,
  writeBenchmarksMd,
  writeEnginesMd,
  writeHopMd,
  writeSwarmMd,
  type BenchResults,
} from './report';
import { restEndpoints, runRest, type RestPlan } from './rest';
import { runStartup } from './startup';
import { runAudit } from './audit';
import { runSwarm } from './swarm';
import { runHop } from './hop';

const BASE_IMAGE = 'bench-busybox:1';
const QUICK = process.env.BENCH_QUICK === '1';
/** `BENCH_ONLY=startup,events` runs only those parts (and never writes BENCHMARKS.md): for profiling one of them. */
const PARTS = ['startup', 'rest', 'events', 'memory', 'pull', 'rest1000', 'engines', 'audit', 'swarm', 'hop'] as const;
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const p of ONLY) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`BENCH_ONLY: unknown part "${p}" (one of ${PARTS.join(', ')})`);
const runs = (part: (typeof PARTS)[number]) => ONLY.length === 0 || ONLY.includes(part);

const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

function machine(engineVersion: string): BenchResults['machine'] {
  const cpu = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpu.trim(),
    memTotalMb: Math.round(os.totalmem() / 1048576),
    memFreeMb: Math.round(os.freemem() / 1048576),
    node: process.version,
    engine: engineVersion,
    kernel: os.release(),
    loadAvgStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    loadAvgEnd: [],
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const env = testEnv();
  const workDir = fs.mkdtempSync('/tmp/dkb-');
  let engine: PrivateEngine | undefined;
  let sock: EngineSocket | undefined;
  const services: ServiceProcess[] = [];
  const fleet: PrivateEngine[] = [];
  const cleanup = async () => {
    for (const s of services.splice(0)) await s.stop().catch(() => undefined);
    for (const e of fleet.splice(0)) {
      // A hung engine (the isolation row) must run again to hear its SIGTERM.
      try {
        process.kill(e.pid, 'SIGCONT');
      } catch {
        // already gone
      }
      await e.destroy();
    }
    sock?.close();
    if (engine) await engine.destroy();
    engine = undefined;
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  // Stopped by `timeout` or Ctrl-C: the private dockerd and the service processes go too.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  try {
    log('starting a private dockerd');
    engine = await startPrivateEngine(BASE_IMAGE);
    sock = new EngineSocket(engine.socketPath);
    const version = await sock.json<{ Version: string; ApiVersion: string }>('GET', '/version');
    const results: BenchResults = {
      date: new Date().toISOString(),
      machine: machine(`${version.Version} (API ${version.ApiVersion})`),
      rest: [],
      quick: QUICK,
    };
    // The bench's one token holds 1,000 events subscriptions at once (events, memory): more than the per-token stream
    // cap a deployment gets by default (64).
    const svcOpts = {
      dockerHost: engine.dockerHost,
      allowedRegistries: env.registry,
      workDir,
      env: { WS_MAX_STREAMS_PER_TOKEN: '2000', WS_MAX_STREAMS: '4000' },
    };

    const images = QUICK ? 50 : 200;
    const containers = QUICK ? 50 : 200;
    const bigContainers = QUICK ? 200 : 1000;
    if (runs('rest') || runs('rest1000') || runs('hop')) {
      log(`fixtures: ${images} images, ${containers} containers`);
      await importImages(sock, 0, images);
      await createContainers(sock, BASE_IMAGE, 0, containers);
    }
    const pullRef = runs('pull') ? await ensurePullImage((a) => engine!.cli(a), env.registry, BASE_IMAGE, workDir, 12) : '';

    // 9 starts and 5 pulls a side: with 5 and 3 one noisy moment of this shared machine moved the medians.
    if (runs('startup')) results.startup = await runStartup({ ...svcOpts, reps: QUICK ? 2 : 9, log });

    const main = await startServiceProcess(svcOpts);
    services.push(main);
    const client = new ServiceClient(main.port, main.token);
    // At c=1 a p99 needs enough samples to be more than the one or two slowest requests: 800 a side (the p99 is
    // the 792nd); 160, as before, made it the 2nd slowest, a single GC pause.
    const levels: RestPlan['levels'] = [
      { concurrency: 1, perBlock: 100, blocks: QUICK ? 2 : 8 },
      { concurrency: 50, perBlock: 150, blocks: QUICK ? 2 : 4 },
    ];
    const endpoints = restEndpoints('bench/img:17');
    if (runs('rest'))
      results.rest.push(...(await runRest(client, sock, { scale: `${images} images, ${containers} containers`, endpoints, levels }, log)));

    // The uncached hop against the engine and against a bare Node proxy doing only the hop (bench/hop.ts).
    if (runs('hop'))
      results.hop = await runHop({
        svc: client,
        servicePid: main.pid,
        cpuRequests: QUICK ? 400 : 4000,
        engine: sock,
        imageRef: 'bench/img:17',
        levels: [
          { concurrency: 1, perBlock: 100, blocks: QUICK ? 2 : 8 },
          { concurrency: 50, perBlock: 150, blocks: QUICK ? 2 : 4 },
        ],
        log,
      });

    if (runs('events'))
      results.events = await runEvents({
        engine: sock,
        wsUrl: main.wsUrl,
        token: main.token,
        baseImage: BASE_IMAGE,
        levels: QUICK ? [1, 100] : [1, 100, 1000],
        // 100, not 30: the direct reader has one sample per event, and the p99 of 30 samples is their maximum.
        eventsPerLevel: QUICK ? 10 : 100,
        gapMs: 100,
        log,
      });
    // The same fan-out from a bare ws server, nothing else in the way: what this machine allows at all.
    // Also split over two server processes: what writing the sockets from more than one process would buy here.
    const floorLevels = QUICK
      ? [{ subscribers: 100, servers: 1 }]
      : [
          { subscribers: 100, servers: 1 },
          { subscribers: 1000, servers: 1 },
          { subscribers: 1000, servers: 2 },
        ];
    if (runs('events')) results.eventsFloor = await runFloor({ levels: floorLevels, eventsPerLevel: QUICK ? 10 : 100, gapMs: 100, log });

    // A fresh process for memory, so what the REST and events runs left behind is not counted.
    const mem = await startServiceProcess(svcOpts);
    services.push(mem);
    const memClient = new ServiceClient(mem.port, mem.token);
    if (runs('memory'))
      results.memory = await runIdleMemory({ wsUrl: mem.wsUrl, token: mem.token, clients: QUICK ? 200 : 1000, rss: () => mem.rssKb(), log });
    if (runs('pull'))
      results.pull = await runPull({
        svc: memClient,
        engine: sock,
        dockerHost: engine.dockerHost,
        wsUrl: mem.wsUrl,
        token: mem.token,
        ref: pullRef,
        imageMb: 36,
        reps: QUICK ? 1 : 5,
        subscribers: 10,
        rss: () => mem.rssKb(),
        log,
      });
    if (runs('memory')) results.memoryFinalKb = await steadyRss(() => mem.rssKb(), 1500);
    memClient.close();

    if (runs('rest1000')) {
      log(`growing to ${bigContainers} containers`);
      await createContainers(sock, BASE_IMAGE, containers, bigContainers - containers);
      const bigLevels: RestPlan['levels'] = [
        { concurrency: 1, perBlock: 40, blocks: QUICK ? 2 : 6 },
        { concurrency: 50, perBlock: 100, blocks: QUICK ? 2 : 4 },
      ];
      results.rest.push(
        ...(await runRest(
          client,
          sock,
          { scale: `${images} images, ${bigContainers} containers`, endpoints: endpoints.slice(0, 2), levels: bigLevels },
          log,
        )),
      );
    }
    client.close();

    if (runs('engines')) {
      // Three engines of their own (the first one is `default`), the same 50 containers on each.
      const perEngine = 50;
      const engineTimeoutMs = 2000;
      log(`engines: starting 3 more private dockerd, ${perEngine} containers on each`);
      fleet.push(...(await Promise.all([0, 1, 2].map(() => startPrivateEngine(BASE_IMAGE)))));
      const names = ['default', 'eb', 'ec'];
      const socks = fleet.map((e) => new EngineSocket(e.socketPath));
      await Promise.all(socks.map((s) => createContainers(s, BASE_IMAGE, 0, perEngine)));
      const multi = await startServiceProcess({
        ...svcOpts,
        dockerHost: fleet[0].dockerHost,
        env: {
          ENGINES: `eb=${fleet[1].dockerHost},ec=${fleet[2].dockerHost}`,
          ENGINES_REQUIRED: names.join(','),
          // A fleet view gives up on a hung engine after this: short, so the isolation row sees it happen.
          ENGINE_TIMEOUT_MS: String(engineTimeoutMs),
          // An events subscription counts as a stream, 64 a token by default: 1,000 subscribers need more.
          WS_MAX_STREAMS_PER_TOKEN: '2000',
          WS_MAX_STREAMS: '4000',
        },
      });
      services.push(multi);
      const multiClient = new ServiceClient(multi.port, multi.token);
      const engines: BenchEngine[] = names.map((name, i) => ({
        name,
        sock: socks[i],
        pause: () => fleet[i].pause(),
        resume: () => fleet[i].resume(),
      }));
      try {
        results.engines = await runEngines({
          svc: multiClient,
          engines,
          containersEach: perEngine,
          wsUrl: multi.wsUrl,
          token: multi.token,
          baseImage: BASE_IMAGE,
          quick: QUICK,
          engineTimeoutMs,
          log,
        });
      } finally {
        multiClient.close();
        for (const s of socks) s.close();
      }
    }

    // Audit rows in SQLite vs the audit line alone, on container start/stop (in this process: see bench/audit.ts).
    if (runs('audit'))
      results.audit = await runAudit({
        engine: sock,
        dockerHost: engine.dockerHost,
        image: BASE_IMAGE,
        workDir,
        blocks: QUICK ? 2 : 8,
        perBlock: QUICK ? 10 : 25,
        log,
      });

    // A rolling update through the service vs `docker service update` on a real 2-node swarm (bench/swarm.ts).
    if (runs('swarm')) results.swarm = await runSwarm({ svcOpts, registry: env.registry, replicas: 4, rounds: QUICK ? 2 : 7, log });

    results.machine.loadAvgEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
    results.durationS = Math.round((Date.now() - started) / 1000);
    process.stdout.write(
      `\n${renderTable(results)}\n${results.engines ? `\n${renderEnginesTable(results)}\n` : ''}${results.swarm ? `\n${renderSwarmTable(results)}\n` : ''}${results.hop ? `\n${renderHopTable(results)}\n` : ''}`,
    );
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'test-results', 'bench-last-run.json'), JSON.stringify(results, null, 2));
    const partial = QUICK || ONLY.length > 0;
    if (!partial) writeBenchmarksMd(path.join(ROOT, 'BENCHMARKS.md'), results);
    // The engines rows have a section of their own, so `BENCH_ONLY=engines` can refresh them alone.
    if (!QUICK && results.engines) writeEnginesMd(path.join(ROOT, 'BENCHMARKS.md'), results);
    // So do the swarm rows (issue 17): `BENCH_ONLY=swarm` refreshes them alone.
    if (!QUICK && results.swarm) writeSwarmMd(path.join(ROOT, 'BENCHMARKS.md'), results);
    // And the uncached hop (issue 14 item 6): `BENCH_ONLY=hop` refreshes it alone.
    if (!QUICK && results.hop) writeHopMd(path.join(ROOT, 'BENCHMARKS.md'), results);
    log(
      `done in ${results.durationS} s${partial ? ' (quick or BENCH_ONLY: the figures section not written)' : '; BENCHMARKS.md written'}${!QUICK && results.engines ? '; the engines section written' : ''}${!QUICK && results.swarm ? '; the swarm section written' : ''}${!QUICK && results.hop ? '; the hop section written' : ''}`,
    );
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
