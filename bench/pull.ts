import { spawn } from 'node:child_process';
import type WebSocket from 'ws';
import type { EngineSocket } from './lib/engine-socket';
import type { ServiceClient } from './lib/service-process';
import { median, sleep } from './lib/stats';
import { closeClients, openClients } from './lib/ws-clients';

export interface PullRun {
  side: 'service' | 'cli';
  ms: number;
  /** Service runs: progress frames each subscriber got (median), and per second of the job. */
  framesPerSub?: number;
  framesPerSubPerSec?: number;
  peakRssKb?: number;
  rssAfterKb?: number;
  layersAlreadyPresent?: number;
}

export interface PullResult {
  image: string;
  imageMb: number;
  runs: PullRun[];
  serviceMedianMs: number;
  cliMedianMs: number;
}

interface JobFrame {
  id: string | null;
  type: string;
  data: { id?: string; state?: string; progress?: { layersAlreadyPresent: number }; reason?: string };
}

async function removeImage(engine: EngineSocket, ref: string): Promise<void> {
  const r = await engine.request('DELETE', `/images/${ref}?force=1`);
  if (r.status !== 200 && r.status !== 404) throw new Error(`rmi ${ref}: ${r.status} ${r.body.toString()}`);
}

function cliPull(dockerHost: string, ref: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn('/usr/bin/docker', ['pull', '-q', ref], {
      env: { ...process.env, DOCKER_HOST: dockerHost },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`docker pull: ${code} ${err}`))));
  });
}

/** A pull through the service: POST /images/pull, 10 `job` subscribers, done when every one got `end`. */
async function servicePull(o: {
  svc: ServiceClient;
  wsUrl: string;
  token: string;
  ref: string;
  subscribers: number;
  rss: () => number;
}): Promise<PullRun> {
  const frames = new Array<number>(o.subscribers).fill(0);
  const ended = new Array<boolean>(o.subscribers).fill(false);
  let failed: string | undefined;
  let alreadyPresent: number | undefined;
  const clients: WebSocket[] = await openClients(
    o.wsUrl,
    o.token,
    o.subscribers,
    (text, _at, i) => {
      const f = JSON.parse(text) as JobFrame;
      if (f.type === 'progress') {
        frames[i]++;
        if (f.data.state === 'succeeded') alreadyPresent = f.data.progress?.layersAlreadyPresent;
        if (f.data.state === 'failed' || f.data.state === 'cancelled') failed = JSON.stringify(f.data);
      } else if (f.type === 'end') ended[i] = true;
      else if (f.type === 'error') failed = text;
    },
    () => 0,
  );
  let peak = o.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, o.rss())), 25);
  const t = performance.now();
  const job = await o.svc.json<{ id: string }>('POST', '/api/v1/images/pull', { image: o.ref });
  for (const ws of clients) ws.send(JSON.stringify({ type: 'subscribe', id: 'job', channel: 'job', jobId: job.id }));
  const deadline = Date.now() + 120000;
  while (!ended.every(Boolean) && !failed && Date.now() < deadline) await sleep(2);
  const ms = performance.now() - t;
  clearInterval(sampler);
  await closeClients(clients);
  if (failed || !ended.every(Boolean)) throw new Error(`service pull did not succeed: ${failed ?? 'timeout'}`);
  return {
    side: 'service',
    ms,
    framesPerSub: median(frames),
    framesPerSubPerSec: median(frames) / (ms / 1000),
    peakRssKb: peak,
    layersAlreadyPresent: alreadyPresent,
  };
}

/** Service and CLI pulls of the same cold image, alternating which goes first; the image is removed before each. */
export async function runPull(o: {
  svc: ServiceClient;
  engine: EngineSocket;
  dockerHost: string;
  wsUrl: string;
  token: string;
  ref: string;
  imageMb: number;
  reps: number;
  subscribers: number;
  rss: () => number;
  log: (s: string) => void;
}): Promise<PullResult> {
  const runs: PullRun[] = [];
  // One untimed pull of each kind: the registry's and the page cache's first touch is not the service's cost.
  await removeImage(o.engine, o.ref);
  await cliPull(o.dockerHost, o.ref);
  // And the service's first pull warms its code paths (JIT) and opens its first sockets: not counted either.
  await removeImage(o.engine, o.ref);
  await servicePull(o);
  for (let rep = 0; rep < o.reps; rep++) {
    const sides: ('service' | 'cli')[] = rep % 2 === 0 ? ['service', 'cli'] : ['cli', 'service'];
    for (const side of sides) {
      await removeImage(o.engine, o.ref);
      await sleep(300);
      let run: PullRun;
      if (side === 'cli') run = { side, ms: await cliPull(o.dockerHost, o.ref) };
      else {
        run = await servicePull(o);
        await sleep(1000);
        run.rssAfterKb = o.rss();
      }
      runs.push(run);
      o.log(
        `pull ${side}: ${run.ms.toFixed(0)} ms${run.framesPerSubPerSec ? `, ${run.framesPerSubPerSec.toFixed(1)} frames/sub/s, peak RSS ${run.peakRssKb} kB, after ${run.rssAfterKb} kB` : ''}`,
      );
    }
  }
  await removeImage(o.engine, o.ref);
  return {
    image: o.ref,
    imageMb: o.imageMb,
    runs,
    serviceMedianMs: median(runs.filter((r) => r.side === 'service').map((r) => r.ms)),
    cliMedianMs: median(runs.filter((r) => r.side === 'cli').map((r) => r.ms)),
  };
}
