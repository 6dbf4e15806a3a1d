import fs from 'node:fs';
import type { EnginesResult } from './engines';
import type { EventsRow, FloorRow } from './events';
import type { IdleMemory } from './memory';
import type { PullResult } from './pull';
import type { RestRow } from './rest';
import { fmt } from './lib/stats';
import type { StartupResult } from './startup';
import type { AuditResult } from './audit';
import type { SwarmResult } from './swarm';
import type { HopCpu, HopRow } from './hop';

export interface BenchResults {
  date: string;
  quick: boolean;
  durationS?: number;
  machine: {
    cpus: number;
    cpuModel: string;
    memTotalMb: number;
    memFreeMb: number;
    node: string;
    engine: string;
    kernel: string;
    loadAvgStart: number[];
    loadAvgEnd: number[];
  };
  rest: RestRow[];
  events?: EventsRow[];
  eventsFloor?: FloorRow[];
  pull?: PullResult;
  memory?: IdleMemory;
  memoryFinalKb?: number;
  startup?: StartupResult;
  engines?: EnginesResult;
  audit?: AuditResult;
  swarm?: SwarmResult;
  hop?: { rows: HopRow[]; cpu: HopCpu };
}

type Row = [string, string, string, string, string, string];

const ratio = (a: number, b: number) => a / b;
const met = (ok: boolean) => (ok ? 'yes' : '**NO**');
/** Pulls may leave the heap a little larger once; growth is what keeps rising from pull to pull. */
export const GROWTH_TOLERANCE = 0.05;

function rows(r: BenchResults): Row[] {
  const out: Row[] = [];
  for (const x of r.rest) {
    const name = `${x.endpoint} · ${x.scale} · c=${x.concurrency} (${x.result.service.latency.n} + ${x.result.direct.latency.n} samples)`;
    const s = x.result.service;
    const d = x.result.direct;
    const errs =
      s.errors || d.errors ? ` (errors: service ${s.errors}${s.firstError !== undefined ? ` [${s.firstError}]` : ''}, direct ${d.errors})` : '';
    const p50 = ratio(s.latency.p50, d.latency.p50);
    const p99 = ratio(s.latency.p99, d.latency.p99);
    const target = (t: string, ok: boolean): [string, string] =>
      x.informational ? ['— (the hop alone, shown for what it costs)', '—'] : [t, met(ok && s.errors === 0)];
    out.push([
      `${name} · p50`,
      `${fmt(s.latency.p50)} ms`,
      `${fmt(d.latency.p50)} ms (${x.baseline})`,
      `${fmt(p50)}×`,
      ...target('≤ 1.10×', p50 <= 1.1),
    ]);
    out.push([`${name} · p99`, `${fmt(s.latency.p99)} ms`, `${fmt(d.latency.p99)} ms`, `${fmt(p99)}×`, ...target('≤ 1.25×', p99 <= 1.25)]);
    out.push([`${name} · req/s`, `${fmt(s.rps, 0)}${errs}`, fmt(d.rps, 0), `${fmt(ratio(s.rps, d.rps))}×`, '—', '—']);
  }
  for (const e of r.events ?? []) {
    const rt = ratio(e.ws.p99, e.direct.p99);
    const target = e.subscribers >= 1000 ? '≤ 20 ms and ≤ 1.2×' : '≤ 1.2×';
    const ok = rt <= 1.2 && (e.subscribers < 1000 || e.ws.p99 <= 20) && e.missing === 0;
    const miss = e.missing ? `, ${e.missing} missing` : '';
    out.push([
      `events → ${e.subscribers} WS subscriber(s), ${e.events} events · p50`,
      `${fmt(e.ws.p50)} ms`,
      `${fmt(e.direct.p50)} ms (direct /events)`,
      `${fmt(ratio(e.ws.p50, e.direct.p50))}×`,
      '—',
      '—',
    ]);
    out.push([
      `events → ${e.subscribers} WS subscriber(s) · p99`,
      `${fmt(e.ws.p99)} ms${miss}`,
      `${fmt(e.direct.p99)} ms`,
      `${fmt(rt)}×`,
      target,
      met(ok),
    ]);
  }
  for (const f of r.eventsFloor ?? []) {
    // The service's figures at the same count, against what a bare ws server fanning the same frames out gets.
    const svc = (r.events ?? []).find((e) => e.subscribers === f.subscribers);
    const floorMiss = f.missing ? `, ${f.missing} missing` : '';
    const over = f.servers > 1 ? ` split over ${f.servers} server processes` : '';
    const floorName = `events → ${f.subscribers} subscribers: the service vs a bare \`ws\` server${over} fanning out the same size of frame (no engine, no service; the floor), ${f.events} events`;
    for (const q of ['p50', 'p99'] as const) {
      const service = svc ? `${fmt(svc.ws[q])} ms` : '—';
      const rt = svc ? `${fmt(ratio(svc.ws[q], f.latency[q]))}×` : '—';
      out.push([`${floorName} · ${q}`, service, `${fmt(f.latency[q])} ms (bare ws${floorMiss})`, rt, '— (shown for what it tells)', '—']);
    }
  }
  if (r.pull) {
    const p = r.pull;
    const rt = ratio(p.serviceMedianMs, p.cliMedianMs);
    const svcRuns = p.runs.filter((x) => x.side === 'service');
    const cliRuns = p.runs.filter((x) => x.side === 'cli');
    out.push([
      `cold pull ${p.imageMb} MB (3 layers), 10 job subscribers · median of ${svcRuns.length}`,
      `${fmt(p.serviceMedianMs, 0)} ms (${svcRuns.map((x) => x.ms.toFixed(0)).join(', ')})`,
      `${fmt(p.cliMedianMs, 0)} ms (docker pull: ${cliRuns.map((x) => x.ms.toFixed(0)).join(', ')})`,
      `${fmt(rt, 3)}×`,
      '≤ 1.03×',
      met(rt <= 1.03),
    ]);
    // At most 10 frames/s, plus the state at subscription and the final state, which are always sent.
    const within = svcRuns.every((x) => (x.framesPerSub ?? Infinity) <= Math.ceil((x.ms / 1000) * 10) + 2);
    out.push([
      'pull progress frames per subscriber: per second (count)',
      svcRuns.map((x) => `${fmt(x.framesPerSubPerSec ?? NaN, 1)} (${x.framesPerSub})`).join(', '),
      '—',
      '—',
      '≤ 10/s + first and final state',
      met(within),
    ]);
  }
  if (r.memory) {
    const m = r.memory;
    out.push(['RSS idle (fresh process)', `${fmt(m.idleKb / 1024, 1)} MB`, '—', '—', '—', '—']);
    out.push([
      `RSS per idle WebSocket client (${m.clients} clients)`,
      `${fmt(m.perClientKb, 1)} KB`,
      `${fmt(m.withClientsKb / 1024, 1)} MB with them`,
      '—',
      '≤ 30 KB',
      met(m.perClientKb <= 30),
    ]);
  }
  if (r.pull) {
    const svcRuns = r.pull.runs.filter((x) => x.side === 'service');
    const peak = Math.max(...svcRuns.map((x) => x.peakRssKb ?? 0));
    const after = svcRuns.map((x) => x.rssAfterKb ?? NaN);
    const growth = (after[after.length - 1] - after[0]) / after[0];
    out.push(['RSS during a 10-subscriber pull (peak)', `${fmt(peak / 1024, 1)} MB`, '—', '—', '—', '—']);
    out.push([
      'RSS after each pull / at the end',
      `${after.map((x) => fmt(x / 1024, 1)).join(', ')} / ${fmt((r.memoryFinalKb ?? NaN) / 1024, 1)} MB`,
      '—',
      `${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)} % first→last`,
      `no growth (≤ ${GROWTH_TOLERANCE * 100} %)`,
      met(growth <= GROWTH_TOLERANCE),
    ]);
  }
  if (r.startup) {
    const s = r.startup;
    out.push([
      `start-up: spawn → /readyz 200 · median of ${s.runs.length}`,
      `${fmt(s.medianMs, 0)} ms (${s.runs.map((x) => x.toFixed(0)).join(', ')})`,
      '—',
      '—',
      '≤ 500 ms',
      met(s.medianMs <= 500),
    ]);
  }
  if (r.audit) {
    const a = r.audit;
    const errs = a.sqlite.errors || a.stdoutOnly.errors ? ` (errors: ${a.sqlite.errors} / ${a.stdoutOnly.errors})` : '';
    for (const op of ['start', 'stop'] as const) {
      const rt = ratio(a.sqlite[op].p50, a.stdoutOnly[op].p50);
      out.push([
        `POST /containers/{id}/${op} with audit rows in SQLite vs the audit log line only · p50 of ${a.cycles} a side (${a.rowsWritten} rows written)`,
        `${fmt(a.sqlite[op].p50)} ms${errs}`,
        `${fmt(a.stdoutOnly[op].p50)} ms (log line only)`,
        `${fmt(rt, 3)}×`,
        '≤ 1.05×',
        met(rt <= 1.05 && a.sqlite.errors === 0 && a.stdoutOnly.errors === 0),
      ]);
      out.push([
        `… · p99`,
        `${fmt(a.sqlite[op].p99)} ms`,
        `${fmt(a.stdoutOnly[op].p99)} ms`,
        `${fmt(ratio(a.sqlite[op].p99, a.stdoutOnly[op].p99), 3)}×`,
        '—',
        '—',
      ]);
    }
  }
  return out;
}

/** Issue 16: the fleet view, events of three engines, one engine's reads while another hangs. */
function engineRows(e: EnginesResult): Row[] {
  const out: Row[] = [];
  const n = e.engines.length;
  const f = e.fleet;
  const slowest = f.single.reduce((a, b) => (b.result.latency.p50 > a.result.latency.p50 ? b : a));
  const errs = f.all.errors + f.single.reduce((a, b) => a + b.result.errors, 0);
  const scale = `${n} engines × ${e.containersEach} containers, \`Cache-Control: no-cache\` on both sides, c=${f.concurrency}`;
  const rt = ratio(f.all.latency.p50, slowest.result.latency.p50);
  out.push([
    `GET /api/v1/engines/all/containers?all=true · ${scale} (${f.all.latency.n} samples a side) · p50`,
    `${fmt(f.all.latency.p50)} ms${errs ? ` (${errs} errors)` : ''}`,
    `${fmt(slowest.result.latency.p50)} ms (slowest single engine's own list, \`${slowest.engine}\`; ${f.single.map((s) => `${s.engine} ${fmt(s.result.latency.p50)}`).join(', ')})`,
    `${fmt(rt)}×`,
    '≤ 1.2× the slowest single engine',
    met(rt <= 1.2 && errs === 0),
  ]);
  const slowest99 = Math.max(...f.single.map((s) => s.result.latency.p99));
  out.push([
    `GET /api/v1/engines/all/containers?all=true · ${scale} · p99`,
    `${fmt(f.all.latency.p99)} ms`,
    `${fmt(slowest99)} ms (slowest single p99; ${f.single.map((s) => `${s.engine} ${fmt(s.result.latency.p99)}`).join(', ')})`,
    `${fmt(ratio(f.all.latency.p99, slowest99))}×`,
    '—',
    '—',
  ]);
  const dSlowest = f.directSingle.reduce((a, b) => (b.result.latency.p50 > a.result.latency.p50 ? b : a));
  out.push([
    `the same three reads straight on the engine sockets, at once (\`Promise.all\`), vs the slowest alone · p50 (no service: what parallel engines allow here)`,
    `${fmt(f.directAll.latency.p50)} ms`,
    `${fmt(dSlowest.result.latency.p50)} ms (\`${dSlowest.engine}\`; ${f.directSingle.map((s) => `${s.engine} ${fmt(s.result.latency.p50)}`).join(', ')})`,
    `${fmt(ratio(f.directAll.latency.p50, dSlowest.result.latency.p50))}×`,
    '— (shown for what it tells)',
    '—',
  ]);
  if (e.events) {
    const v = e.events;
    const fl = v.floor;
    const miss = v.missing
      ? `, ${v.missing} missing (${Object.entries(v.missingByEngine)
          .map(([k, m]) => `${k} ${m}`)
          .join(', ')})`
      : '';
    for (const q of ['p50', 'p99'] as const) {
      const rq = ratio(v.ws[q], fl.latency[q]);
      out.push([
        `events of ${n} engines (image tag, engine after engine) → ${v.subscribers} WS subscribers with \`engine: ['*']\`, ${v.events} events, vs the bare \`ws\` floor · ${q}`,
        `${fmt(v.ws[q])} ms${miss}`,
        `${fmt(fl.latency[q])} ms (bare ws, ${fl.subscribers} subscribers${fl.missing ? `, ${fl.missing} missing` : ''})`,
        `${fmt(rq)}×`,
        '≤ 1.1× the floor',
        met(rq <= 1.1 && v.missing === 0),
      ]);
    }
  }
  const iso = e.isolation;
  const d = iso.fleetDuringHang;
  for (const q of ['p50', 'p99'] as const) {
    const rq = ratio(iso.whileHung.latency[q], iso.healthy.latency[q]);
    out.push([
      `isolation: GET /api/v1/engines/${iso.reader}/containers?all=true (no-cache, c=1) while \`${iso.hung}\` is SIGSTOPped vs healthy, ${iso.whileHung.latency.n} + ${iso.healthy.latency.n} samples · ${q}`,
      `${fmt(iso.whileHung.latency[q])} ms${iso.whileHung.errors ? ` (${iso.whileHung.errors} errors)` : ''}`,
      `${fmt(iso.healthy.latency[q])} ms (${iso.hung} healthy)`,
      `${fmt(rq)}×`,
      q === 'p99' ? '— (issue: "never slows or fails")' : '—',
      q === 'p99' ? met(iso.whileHung.errors === 0 && iso.healthy.errors === 0) + ' (no errors; ratio shown)' : '—',
    ]);
  }
  out.push([
    `isolation: fleet views sent beside those reads while \`${iso.hung}\` hung`,
    `${d.sent} sent, ${d.reportedMissing} answered with \`${iso.hung}\` in \`missing\`; p50 ${fmt(d.latency.p50, 0)} ms`,
    '—',
    '—',
    '—',
    '—',
  ]);
  return out;
}

function table(body: Row[]): string {
  const header: Row = ['Benchmark', 'Service', 'Baseline', 'Ratio', 'Target', 'Met'];
  const all = [header, ...body];
  return all.map((row, i) => `| ${row.join(' | ')} |${i === 0 ? `\n|${row.map(() => '---').join('|')}|` : ''}`).join('\n');
}

export const renderTable = (r: BenchResults): string => table(rows(r));
export const renderEnginesTable = (r: BenchResults): string => table(r.engines ? engineRows(r.engines) : []);

export function renderMachine(r: BenchResults): string {
  const m = r.machine;
  return [
    `- Run: ${r.date}, ${r.durationS ?? '?'} s in all.`,
    `- CPU: ${m.cpus} × ${m.cpuModel} (\`nproc\` = ${m.cpus}); memory ${m.memTotalMb} MB (${m.memFreeMb} MB free at start); kernel ${m.kernel}.`,
    `- Node ${m.node}; Docker engine ${m.engine} (a private dockerd, overlay2, \`--bridge none\`).`,
    `- Load average (1, 5, 15 min) at start ${m.loadAvgStart.join(', ')}, at end ${m.loadAvgEnd.join(', ')}: the machine is shared, hence ratios measured side by side.`,
  ].join('\n');
}

const BEGIN = '<!-- bench:figures:begin -->';
const END = '<!-- bench:figures:end -->';

/** Replaces the generated section of BENCHMARKS.md (between the markers); the prose around it is kept. */
export function writeBenchmarksMd(file: string, r: BenchResults): void {
  const generated = `${BEGIN}\n## Figures of the last run\n\n${renderMachine(r)}\n\n${renderTable(r)}\n${END}`;
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const i = text.indexOf(BEGIN);
  const j = text.indexOf(END);
  const next = i >= 0 && j > i ? text.slice(0, i) + generated + text.slice(j + END.length) : `${text.trimEnd()}\n\n${generated}\n`;
  fs.writeFileSync(file, next);
}

const ENGINES_BEGIN = '<!-- bench:engines:begin -->';
const ENGINES_END = '<!-- bench:engines:end -->';

/** The engines section (between its own markers): written by any run that measured it, `BENCH_ONLY=engines` too. */
export function writeEnginesMd(file: string, r: BenchResults): void {
  const generated = `${ENGINES_BEGIN}\n## Figures of the last engines run (issue 16)\n\n${renderMachine(r)}\n\n${renderEnginesTable(r)}\n${ENGINES_END}`;
  const text = fs.readFileSync(file, 'utf8');
  const i = text.indexOf(ENGINES_BEGIN);
  const j = text.indexOf(ENGINES_END);
  fs.writeFileSync(file, i >= 0 && j > i ? text.slice(0, i) + generated + text.slice(j + ENGINES_END.length) : `${text.trimEnd()}\n\n${generated}\n`);
}

/** Issue 17 item 9: a rolling update through the service vs `docker service update --detach=false`. */
function swarmRows(w: SwarmResult): Row[] {
  const rt = ratio(w.dockhand.p50, w.cli.p50);
  const what = `rolling update of ${w.replicas} replicas on 2 nodes (parallelism 1, ${w.order}, monitor ${w.monitorMs / 1000} s, delay 0), ${w.rounds} a side`;
  const list = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(', ');
  return [
    [
      `${what}: POST update → job \`succeeded\` (WS job channel) vs \`docker service update --detach=false\` · median`,
      `${fmt(w.dockhand.p50 / 1000)} s (${list(w.dockhand.samples)})${w.problems.length ? ` (${w.problems.length} problems)` : ''}`,
      `${fmt(w.cli.p50 / 1000)} s (${list(w.cli.samples)})`,
      `${fmt(rt, 3)}×`,
      '≤ 1.1× the CLI',
      met(rt <= 1.1 && w.problems.length === 0),
    ],
    [`… · p90`, `${fmt(w.dockhand.p90 / 1000)} s`, `${fmt(w.cli.p90 / 1000)} s`, `${fmt(ratio(w.dockhand.p90, w.cli.p90), 3)}×`, '—', '—'],
    [
      `… end − the engine's \`UpdateStatus.CompletedAt\` · median (the follower's own share; negative: it ended before the engine said completed)`,
      `${fmt(w.dockhand.afterCompletedP50, 0)} ms`,
      `${fmt(w.cli.afterCompletedP50, 0)} ms`,
      '—',
      '—',
      '—',
    ],
  ];
}

export const renderSwarmTable = (r: BenchResults): string => table(r.swarm ? swarmRows(r.swarm) : []);

const SWARM_BEGIN = '<!-- bench:swarm:begin -->';
const SWARM_END = '<!-- bench:swarm:end -->';

/** The convergence criteria of both sides, written with the figures so the section never loses them. */
const swarmMethod = (cli: string) =>
  `\`BENCH_ONLY=swarm npm run bench\` (bench/swarm.ts): one service of 4 replicas on a real 2-node swarm (two private
dockerd in network namespaces of their own, formed through the API), updated alternately through Dockhand and
through the CLI; rounds alternate which side goes first, with a 1.5 s pause before each update. Both sides make the
same change on the same service: the image, the other of seed/web:1.39 and 1.43, given to both as the same pinned
\`name:tag@sha256:…\` reference (so neither asks the registry), and the update config restated to the CLI as flags
equal to the service's own: \`--update-parallelism 1 --update-delay 0ms --update-order start-first
--update-monitor 1000ms --update-failure-action rollback --update-max-failure-ratio 0\`, plus \`--no-resolve-image\`
(without it the engine asks the registry for the image's platforms and writes \`Placement.Platforms\` into the
spec, which Dockhand's update does not). After every update the bench checks the image, \`UpdateStatus.State\`
\`completed\`, every running task up to date and the spec apart from the image unchanged.

- **CLI** (\`docker service update --detach=false\`, docker CLI ${cli}): writes the spec, then polls every 200 ms
  (service inspect, up-to-date tasks, nodes); converged when every slot's task of the current spec is \`running\`;
  returns once it stayed so for the update config's monitor period (or at once when the engine says the update
  \`completed\` before the CLI saw it converge). Wall time of the process, its start-up included.
- **Dockhand** (job \`succeeded\`): the same criterion (\`src/domain/swarm/service-changes.ts\`: every slot on the
  current spec running for the monitor period, or the engine's \`completed\`), read on the engine's \`service\`
  events and the task containers' events (at most one read per 150 ms, a 2 s fallback tick), not on a timer.
  Measured from just before the POST to the job's \`end\` frame on the \`job\` WebSocket channel (subscribed after
  the 202; no polling by the bench).
- Both wall times are mostly the engine's rolling update (4 tasks started one after another, then the monitor
  period); the third row isolates each side's own share: its end minus the engine's \`UpdateStatus.CompletedAt\`.`;

/** The swarm section (between its own markers): written by any run that measured it, \`BENCH_ONLY=swarm\` too. */
export function writeSwarmMd(file: string, r: BenchResults): void {
  const w = r.swarm!;
  const load = `- Load average during the rounds (1, 5, 15 min): ${w.loadStart.join(', ')} at the first, ${w.loadEnd.join(', ')} after the last.`;
  const problems = w.problems.length ? `\n\nProblems seen: ${w.problems.join('; ')}` : '';
  const generated = `${SWARM_BEGIN}\n## Rolling update vs \`docker service update\` (issue 17)\n\n${swarmMethod(w.cliVersion)}\n\n${renderMachine(r)}\n${load}\n\n${renderSwarmTable(r)}${problems}\n${SWARM_END}`;
  const text = fs.readFileSync(file, 'utf8');
  const i = text.indexOf(SWARM_BEGIN);
  const j = text.indexOf(SWARM_END);
  fs.writeFileSync(file, i >= 0 && j > i ? text.slice(0, i) + generated + text.slice(j + SWARM_END.length) : `${text.trimEnd()}\n\n${generated}\n`);
}

/** Issue 14 item 6: the uncached hop against the engine, and the floor (a bare Node proxy) in the same run. */
function hopRows({ rows, cpu }: { rows: HopRow[]; cpu: HopCpu }): Row[] {
  const out: Row[] = [];
  for (const h of rows) {
    const target = h.concurrency === 1 ? 1.5 : 2;
    const what = `GET /api/v1/images/{ref} with Cache-Control: no-cache · c=${h.concurrency} (${h.samples} samples a side)`;
    const ms = (s: { latency: { p50: number } }) => `${fmt(s.latency.p50, 3)} ms`;
    const rt = ratio(h.service.latency.p50, h.engine.latency.p50);
    const errors = h.service.errors + h.floor.errors + h.engine.errors;
    out.push(
      [
        `${what} · p50`,
        ms(h.service),
        `${ms(h.engine)} (GET /images/{ref}/json)`,
        `${fmt(rt)}×`,
        `≤ ${target}× the engine`,
        met(rt <= target && errors === 0),
      ],
      [
        `… the floor, a bare Node proxy doing only the hop · p50`,
        ms(h.floor),
        ms(h.engine),
        `${fmt(ratio(h.floor.latency.p50, h.engine.latency.p50))}×`,
        '—',
        '—',
      ],
      [
        `… the service over the floor · p50`,
        ms(h.service),
        `${ms(h.floor)} (the floor)`,
        `${fmt(ratio(h.service.latency.p50, h.floor.latency.p50))}×`,
        '—',
        '—',
      ],
      [
        `… p99 (service / floor / engine)`,
        `${fmt(h.service.latency.p99, 3)} ms`,
        `${fmt(h.floor.latency.p99, 3)} / ${fmt(h.engine.latency.p99, 3)} ms`,
        `${fmt(ratio(h.service.latency.p99, h.engine.latency.p99))}× / ${fmt(ratio(h.service.latency.p99, h.floor.latency.p99))}×`,
        '—',
        '—',
      ],
      [
        `… req/s (service / floor / engine)`,
        `${fmt(h.service.rps, 0)}`,
        `${fmt(h.floor.rps, 0)} / ${fmt(h.engine.rps, 0)}`,
        `${fmt(ratio(h.service.rps, h.engine.rps))}× / ${fmt(ratio(h.service.rps, h.floor.rps))}×`,
        '—',
        errors ? `${errors} errors` : '—',
      ],
    );
  }
  out.push([
    `CPU time per request (user + system, /proc/<pid>/stat), c=1, ${cpu.requests} a side: service / the floor`,
    `${fmt(cpu.serviceUs, 0)} µs`,
    `${fmt(cpu.floorUs, 0)} µs (the floor)`,
    `${fmt(ratio(cpu.serviceUs, cpu.floorUs))}×`,
    '—',
    '—',
  ]);
  return out;
}

export const renderHopTable = (r: BenchResults): string => table(r.hop ? hopRows(r.hop) : []);

const HOP_BEGIN = '<!-- bench:hop:begin -->';
const HOP_END = '<!-- bench:hop:end -->';

/** The hop section (between its own markers): written by any run that measured it, `BENCH_ONLY=hop` too. */
export function writeHopMd(file: string, r: BenchResults): void {
  const generated = `${HOP_BEGIN}\n## Figures of the last uncached-hop run (issue 14 item 6)\n\n${renderMachine(r)}\n\n${renderHopTable(r)}\n${HOP_END}`;
  const text = fs.readFileSync(file, 'utf8');
  const i = text.indexOf(HOP_BEGIN);
  const j = text.indexOf(HOP_END);
  fs.writeFileSync(file, i >= 0 && j > i ? text.slice(0, i) + generated + text.slice(j + HOP_END.length) : `${text.trimEnd()}\n\n${generated}\n`);
}
