import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compareMany, type SideResult } from './lib/compare';
import type { EngineSocket } from './lib/engine-socket';
import { ServiceClient } from './lib/service-process';

export interface HopRow {
  concurrency: number;
  samples: number;
  /** The service with `Cache-Control: no-cache` (the engine asked every time), the bare proxy, the engine itself. */
  service: SideResult;
  floor: SideResult;
  engine: SideResult;
}

export interface HopCpu {
  requests: number;
  /** CPU time (user + system, from /proc/<pid>/stat) per request at c=1, microseconds. */
  serviceUs: number;
  floorUs: number;
}

/** User + system CPU time of a process so far, in clock ticks (1/100 s here). */
function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Issue 14 item 6, the uncached hop: an image inspect through the service with the read cache bypassed, against
 * the same engine call made directly, and against the floor (bench/lib/bare-proxy.ts: a bare Node HTTP server
 * doing only the hop) — three sides in rotating blocks, so a noisy moment of the machine falls on all three.
 */
export async function runHop(o: {
  svc: ServiceClient;
  servicePid: number;
  engine: EngineSocket;
  imageRef: string;
  levels: { concurrency: number; perBlock: number; blocks: number }[];
  log: (s: string) => void;
  cpuRequests: number;
}): Promise<{ rows: HopRow[]; cpu: HopCpu }> {
  const child = fork(path.join(__dirname, 'lib', 'bare-proxy.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve) => {
      child.once('message', (m: { port: number }) => resolve(m.port));
      child.send({ socketPath: o.engine.socketPath });
    });
    const floorClient = new ServiceClient(port, 'unused');
    const servicePath = `/api/v1/images/${encodeURIComponent(o.imageRef)}`;
    const rows: HopRow[] = [];
    let cpu: HopCpu;
    try {
      for (const level of o.levels) {
        const t = Date.now();
        const r = await compareMany(
          {
            service: async () => (await o.svc.request('GET', servicePath, undefined, { 'Cache-Control': 'no-cache' })).status,
            floor: async () => (await floorClient.request('GET', servicePath)).status,
            engine: async () => (await o.engine.request('GET', `/images/${o.imageRef}/json`)).status,
          },
          level,
        );
        rows.push({ concurrency: level.concurrency, samples: level.perBlock * level.blocks, service: r.service, floor: r.floor, engine: r.engine });
        o.log(
          `hop c=${level.concurrency}: service p50 ${r.service.latency.p50.toFixed(3)} / floor ${r.floor.latency.p50.toFixed(3)} / engine ${r.engine.latency.p50.toFixed(3)} ms ` +
            `(errors ${r.service.errors}/${r.floor.errors}/${r.engine.errors}) in ${Date.now() - t} ms`,
        );
      }
      // What each process spends per request, whatever the machine's other load: latency on a shared 2-core VM
      // (with steal time) moves with its neighbours, CPU time much less. Two passes a side, alternating.
      const ticks = { service: 0, floor: 0 };
      for (let pass = 0; pass < 4; pass++) {
        const [name, pid, call] =
          pass % 2 === 0
            ? (['service', o.servicePid, () => o.svc.request('GET', servicePath, undefined, { 'Cache-Control': 'no-cache' })] as const)
            : (['floor', child.pid!, () => floorClient.request('GET', servicePath)] as const);
        const before = cpuTicks(pid);
        for (let i = 0; i < o.cpuRequests / 2; i++) await call();
        ticks[name] += cpuTicks(pid) - before;
      }
      const us = (t: number) => (t * 10000) / o.cpuRequests;
      cpu = { requests: o.cpuRequests, serviceUs: us(ticks.service), floorUs: us(ticks.floor) };
      o.log(`hop CPU per request (c=1, ${o.cpuRequests} a side): service ${cpu.serviceUs.toFixed(0)} µs, floor ${cpu.floorUs.toFixed(0)} µs`);
    } finally {
      floorClient.close();
    }
    return { rows, cpu };
  } finally {
    child.kill();
  }
}
