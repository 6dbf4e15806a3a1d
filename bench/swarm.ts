/**
 * Issue 17 item 9: a rolling update of one swarm service through Dockhand (POST …/services/{id}/update, until its
 * job is `succeeded`) against `docker service update --detach=false` (which waits for convergence), side by side on
 * the same service, the same image change and the same update config.
 *
 * The swarm is real: two private dockerd in network namespaces of their own (support/two-node-swarm.ts, netns
 * prefix `dkh7b`, subnets 10.232.22/23), formed through the service's API (init on `na`, join of `nb`). One
 * service of 4 replicas spread over both nodes, update config parallelism 1, delay 0, start-first, monitor 1 s,
 * failure action rollback, max failure ratio 0; stop grace 300 ms. Each update moves it to the other of two
 * images with different digests (seed/web:1.39 ↔ 1.43), both paths given the same pinned `name:tag@sha256:…`
 * reference: neither Dockhand's pinner nor the engine asks the registry about a reference that has a digest, and
 * both images are on both nodes after the warm-up round, so no round pulls.
 *
 * - Dockhand: from just before the POST (If-Match with the version) to the `end` frame of the job on the `job`
 *   WebSocket channel (one connection opened before the rounds, as a console would hold it; subscribed right
 *   after the 202). No polling on the bench side.
 * - CLI: the wall time of `/usr/bin/docker -H <manager> service update --image <ref> --update-parallelism 1
 *   --update-delay 0s --update-order start-first --update-monitor 1s --update-failure-action rollback
 *   --update-max-failure-ratio 0 --no-resolve-image --detach=false <name>` from spawn to exit (its process start
 *   included: that is what a user waits for). The flags restate the service's own config, so the CLI writes the
 *   image alone; `--no-resolve-image`, as without it the engine asks the registry for the image's platforms and
 *   writes them into the spec (seen in a first run: `Placement.Platforms` added), work Dockhand does not do.
 *
 * Rounds alternate which path goes first (D C, C D, …): each path does as many 1.39→1.43 as 1.43→1.39 updates.
 * After every update the service must be on the expected image with `UpdateStatus.State` completed and every
 * running task up to date; its spec apart from the image must equal the spec after the warm-up (same work).
 */
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import WebSocket from 'ws';
import { startTwoNodeSwarm, type TwoNodeSwarm } from '../support/two-node-swarm';
import { ServiceClient, startServiceProcess, type ServiceOptions, type ServiceProcess } from './lib/service-process';
import { median, percentile, sleep, wallMs } from './lib/stats';

export interface SwarmSide {
  /** Milliseconds of each update, in the order run. */
  samples: number[];
  p50: number;
  p90: number;
  /**
   * Milliseconds from the engine's `UpdateStatus.CompletedAt` (swarmkit's own end: the last task running and its
   * monitor period over) to the side's end, median (negative: the side ended first). The part of the wall time
   * that is the follower's, not the rolling update's.
   */
  afterCompletedP50: number;
}

export interface SwarmResult {
  replicas: number;
  rounds: number;
  monitorMs: number;
  order: string;
  dockhand: SwarmSide;
  cli: SwarmSide;
  /** Load average (1, 5, 15 min) when the rounds began and ended. */
  loadStart: number[];
  loadEnd: number[];
  /** Updates whose outcome was not the expected one (none in a good run). */
  problems: string[];
  /** `docker version --format {{.Client.Version}}`. */
  cliVersion: string;
}

const NAME = 'benchweb';
const MONITOR_MS = 1000;
const ORDER = 'start-first';
const A = '/api/v1/engines/na/swarm';

/** The Dockhand update config and the CLI flags that say the same, both written from one place. */
const UPDATE = { parallelism: 1, delayMs: 0, order: ORDER, monitorMs: MONITOR_MS, failureAction: 'rollback', maxFailureRatio: 0 };
const CLI_FLAGS = [
  '--update-parallelism',
  String(UPDATE.parallelism),
  '--update-delay',
  `${UPDATE.delayMs}ms`,
  '--update-order',
  UPDATE.order,
  '--update-monitor',
  `${UPDATE.monitorMs}ms`,
  '--update-failure-action',
  UPDATE.failureAction,
  '--update-max-failure-ratio',
  String(UPDATE.maxFailureRatio),
  // The reference is pinned already; by default the CLI would still have the engine ask the registry for the image's
  // platforms (and write them into Placement.Platforms): work Dockhand's update does not do.
  '--no-resolve-image',
];

const side = (samples: number[], afterCompleted: number[]): SwarmSide => {
  const s = [...samples].sort((a, b) => a - b);
  return { samples, p50: percentile(s, 50), p90: percentile(s, 90), afterCompletedP50: median(afterCompleted) };
};

type Inspect = {
  Version: { Index: number };
  Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } & Record<string, unknown>;
  UpdateStatus?: { State: string; Message?: string; CompletedAt?: string };
};

/** The job channel on one WebSocket: resolves with the job's `end` reason. */
class JobSocket {
  private readonly waiters = new Map<string, (reason: string) => void>();
  private readonly ended = new Map<string, string>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse((data as Buffer).toString()) as { type: string; id?: string; data?: { reason?: string; message?: string } };
      if (!f.id) return;
      if (f.type === 'end' || f.type === 'error') {
        const reason = f.type === 'end' ? (f.data?.reason ?? 'end') : `error: ${f.data?.message ?? JSON.stringify(f.data)}`;
        const w = this.waiters.get(f.id);
        if (w) {
          this.waiters.delete(f.id);
          w(reason);
        } else this.ended.set(f.id, reason);
      }
    });
  }

  static async open(url: string, token: string): Promise<JobSocket> {
    const ws = new WebSocket(url, ['dockhand.v1'], { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    return new JobSocket(ws);
  }

  /** Subscribes to the job and resolves when it ends (with `succeeded`, `failed`, …). */
  follow(jobId: string, timeoutMs: number): Promise<string> {
    const id = `j-${jobId}`;
    this.ws.send(JSON.stringify({ type: 'subscribe', id, channel: 'job', jobId }));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`job ${jobId}: no end within ${timeoutMs} ms`)), timeoutMs);
      const done = (reason: string) => {
        clearTimeout(t);
        resolve(reason);
      };
      const early = this.ended.get(id);
      if (early !== undefined) done(early);
      else this.waiters.set(id, done);
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** The paths where two JSON values differ (`a.b: 1 → 2`), for a problem's message. */
function diff(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
  }
  return [`${at}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
}

function runCli(dockerHost: string, args: string[]): Promise<{ ms: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/docker', ['-H', dockerHost, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ ms: performance.now() - t0, code, stderr }));
  });
}

export async function runSwarm(o: {
  svcOpts: ServiceOptions;
  registry: string;
  replicas: number;
  rounds: number;
  log: (s: string) => void;
}): Promise<SwarmResult> {
  const { log } = o;
  const web1 = `${o.registry}/seed/web:1.39`;
  const web2 = `${o.registry}/seed/web:1.43`;
  let nodes: TwoNodeSwarm | undefined;
  let svc: ServiceProcess | undefined;
  let client: ServiceClient | undefined;
  let jobs: JobSocket | undefined;
  try {
    log('swarm: two private dockerd in netns dkh7ba/dkh7bb (10.232.22-23)');
    nodes = await startTwoNodeSwarm({ prefix: 'dkh7b', subnet: 22, registryPort: Number(o.registry.split(':')[1]) });
    const manager = nodes.a;
    svc = await startServiceProcess({ ...o.svcOpts, env: { ...o.svcOpts.env, ENGINES: nodes.engines(['na', 'nb']) } });
    const c = new ServiceClient(svc.port, svc.token);
    client = c;
    await c.json('POST', `${A}/init`, { advertiseAddr: nodes.managerAddr });
    await c.json('POST', '/api/v1/engines/nb/swarm/join', { manager: 'na', advertiseAddr: nodes.workerAddr });

    const inspect = () => (JSON.parse(manager.cli(['service', 'inspect', NAME])) as Inspect[])[0];
    const runningUpToDate = async (): Promise<{ running: number; nodes: Set<string>; stale: number }> => {
      const tasks = await c.json<{ state: string; desiredState: string; upToDate: boolean; engine: string | null }[]>(
        'GET',
        `${A}/services/${NAME}/tasks`,
      );
      const live = tasks.filter((t) => t.desiredState === 'running' && t.state === 'running');
      return {
        running: live.filter((t) => t.upToDate).length,
        nodes: new Set(live.map((t) => t.engine ?? '?')),
        stale: live.filter((t) => !t.upToDate).length,
      };
    };

    log(`swarm: service ${NAME}, ${o.replicas} replicas of ${web1}`);
    const created = await c.json<{ image: string }>('POST', `${A}/services`, {
      name: NAME,
      image: web1,
      replicas: o.replicas,
      updateConfig: UPDATE,
      rollbackConfig: { parallelism: 0, delayMs: 0, order: 'stop-first', monitorMs: MONITOR_MS, failureAction: 'pause' },
      stopGracePeriodMs: 300,
    });
    const pinned1 = created.image;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await runningUpToDate();
      if (r.running === o.replicas && r.nodes.size === 2) break;
      if (Date.now() > deadline) throw new Error(`service ${NAME}: ${r.running} of ${o.replicas} running on ${[...r.nodes].join(', ')}`);
      await sleep(300);
    }

    jobs = await JobSocket.open(svc.wsUrl, svc.token);
    const js = jobs;
    const problems: string[] = [];
    let reference: string | undefined;
    /** After each update: the expected image, the update completed, every task running and up to date, same spec. */
    /** Checks the update that ended at `endWall` (wall clock) and answers how long after the engine's completion that was. */
    const check = async (label: string, image: string, endWall = NaN): Promise<number> => {
      const s = inspect();
      const completed = s.UpdateStatus?.CompletedAt ? Date.parse(s.UpdateStatus.CompletedAt) : NaN;
      const spec = JSON.stringify({
        ...s.Spec,
        TaskTemplate: { ...s.Spec.TaskTemplate, ContainerSpec: { ...s.Spec.TaskTemplate.ContainerSpec, Image: '' } },
      });
      reference ??= spec;
      if (s.Spec.TaskTemplate.ContainerSpec.Image !== image)
        problems.push(`${label}: image ${s.Spec.TaskTemplate.ContainerSpec.Image}, not ${image}`);
      if (s.UpdateStatus?.State !== 'completed') problems.push(`${label}: update state ${s.UpdateStatus?.State} (${s.UpdateStatus?.Message ?? ''})`);
      if (spec !== reference)
        problems.push(
          `${label}: the spec apart from the image differs from the warm-up's: ${diff(JSON.parse(reference), JSON.parse(spec)).join(', ')}`,
        );
      const r = await runningUpToDate();
      if (r.running !== o.replicas || r.stale > 0) problems.push(`${label}: ${r.running} up to date running, ${r.stale} stale running`);
      return endWall - completed;
    };
    const viaDockhand = async (image: string): Promise<number> => {
      const version = inspect().Version.Index;
      const t0 = performance.now();
      const res = await c.request('POST', `${A}/services/${NAME}/update`, { image }, { 'If-Match': `"${version}"` });
      if (res.status !== 202) throw new Error(`update → ${res.status}: ${res.body.toString().slice(0, 300)}`);
      const job = JSON.parse(res.body.toString()) as { id: string };
      const reason = await js.follow(job.id, 180_000);
      const ms = performance.now() - t0;
      if (reason !== 'succeeded') problems.push(`dockhand job ${job.id} ended ${reason}`);
      return ms;
    };
    const viaCli = async (image: string): Promise<number> => {
      const r = await runCli(manager.dockerHost, ['service', 'update', '--image', image, ...CLI_FLAGS, '--detach=false', NAME]);
      if (r.code !== 0) problems.push(`cli exited ${r.code}: ${r.stderr.slice(-300)}`);
      return r.ms;
    };

    // Warm-up: both images onto both nodes, both paths once; the second image's pinned reference from Dockhand's pin.
    log('swarm: warm-up (Dockhand to 1.43, CLI back to 1.39)');
    await c.request('POST', `${A}/services/${NAME}/update`, { image: web2 }).then(async (res) => {
      if (res.status !== 202) throw new Error(`warm-up update → ${res.status}: ${res.body.toString().slice(0, 300)}`);
      const reason = await js.follow((JSON.parse(res.body.toString()) as { id: string }).id, 180_000);
      if (reason !== 'succeeded') throw new Error(`warm-up job ended ${reason}`);
    });
    const pinned2 = inspect().Spec.TaskTemplate.ContainerSpec.Image;
    if (!/@sha256:/.test(pinned2) || pinned2 === pinned1) throw new Error(`warm-up: ${pinned2} is not a second pinned image`);
    await check('warm-up dockhand', pinned2);
    await viaCli(pinned1);
    await check('warm-up cli', pinned1);
    if (problems.length > 0) throw new Error(`warm-up: ${problems.join('; ')}`);

    const dockhand: number[] = [];
    const cli: number[] = [];
    const after = { dockhand: [] as number[], cli: [] as number[] };
    let current = pinned1;
    const next = () => (current = current === pinned1 ? pinned2 : pinned1);
    const loadStart = os.loadavg().map((l) => Number(l.toFixed(2)));
    for (let i = 0; i < o.rounds; i++) {
      const order = i % 2 === 0 ? (['dockhand', 'cli'] as const) : (['cli', 'dockhand'] as const);
      for (const who of order) {
        const image = next();
        // The engine removes the replaced tasks' containers after an update: let that settle alike for both.
        await sleep(1500);
        if (who === 'dockhand') dockhand.push(await viaDockhand(image));
        else cli.push(await viaCli(image));
        after[who].push(await check(`round ${i + 1} ${who}`, image, wallMs()));
      }
      log(
        `swarm: round ${i + 1}/${o.rounds}: dockhand ${dockhand[i].toFixed(0)} ms, cli ${cli[i].toFixed(0)} ms (load ${os.loadavg()[0].toFixed(2)})`,
      );
    }
    const loadEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
    return {
      replicas: o.replicas,
      rounds: o.rounds,
      monitorMs: MONITOR_MS,
      order: ORDER,
      dockhand: side(dockhand, after.dockhand),
      cli: side(cli, after.cli),
      loadStart,
      loadEnd,
      problems,
      cliVersion: execFileSync('/usr/bin/docker', ['version', '--format', '{{.Client.Version}}'], { env: { DOCKER_HOST: manager.dockerHost } })
        .toString()
        .trim(),
    };
  } finally {
    jobs?.close();
    client?.close();
    await svc?.stop().catch(() => undefined);
    await nodes?.destroy();
  }
}
