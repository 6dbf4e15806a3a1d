import { compare, type Call, type ComparisonResult } from './lib/compare';
import type { EngineSocket } from './lib/engine-socket';
import type { ServiceClient } from './lib/service-process';

export interface RestRow {
  endpoint: string;
  /** What the service's figures are divided by. */
  baseline: string;
  scale: string;
  concurrency: number;
  result: ComparisonResult;
  /** Shown for what it tells, not one of the target rows. */
  informational?: boolean;
}

interface Endpoint {
  name: string;
  baseline: string;
  service: string;
  direct: string;
  /** Request headers for the service side. */
  headers?: Record<string, string>;
  informational?: boolean;
}

// Both sides read the whole body, as a client would; the service's own JSON parsing of the engine's answer
// and its re-serialization are part of what it costs.
const callOf =
  (send: (path: string) => Promise<{ status: number }>, path: string): Call =>
  async () =>
    (await send(path)).status;

export function restEndpoints(imageRef: string): Endpoint[] {
  return [
    { name: 'GET /api/v1/images', baseline: 'GET /images/json', service: '/api/v1/images', direct: '/images/json' },
    {
      name: 'GET /api/v1/containers?all=true',
      baseline: 'GET /containers/json?all=1',
      service: '/api/v1/containers?all=true',
      direct: '/containers/json?all=1',
    },
    {
      name: 'GET /api/v1/images/{ref}',
      baseline: `GET /images/{ref}/json`,
      service: `/api/v1/images/${encodeURIComponent(imageRef)}`,
      direct: `/images/${imageRef}/json`,
    },
    // The same read with the read cache bypassed: what the hop itself costs when the engine is asked every time.
    {
      name: 'GET /api/v1/images/{ref} with Cache-Control: no-cache',
      baseline: `GET /images/{ref}/json`,
      service: `/api/v1/images/${encodeURIComponent(imageRef)}`,
      direct: `/images/${imageRef}/json`,
      headers: { 'Cache-Control': 'no-cache' },
      informational: true,
    },
  ];
}

export interface RestPlan {
  scale: string;
  endpoints: Endpoint[];
  levels: { concurrency: number; perBlock: number; blocks: number }[];
}

export async function runRest(svc: ServiceClient, engine: EngineSocket, plan: RestPlan, log: (s: string) => void): Promise<RestRow[]> {
  const rows: RestRow[] = [];
  for (const ep of plan.endpoints) {
    for (const level of plan.levels) {
      const t = Date.now();
      const result = await compare(
        callOf((p) => svc.request('GET', p, undefined, ep.headers), ep.service),
        callOf((p) => engine.request('GET', p), ep.direct),
        level,
      );
      rows.push({
        endpoint: ep.name,
        baseline: ep.baseline,
        scale: plan.scale,
        concurrency: level.concurrency,
        result,
        ...(ep.informational ? { informational: true } : {}),
      });
      log(
        `rest ${plan.scale} ${ep.name} c=${level.concurrency}: service p50 ${result.service.latency.p50.toFixed(2)} p99 ${result.service.latency.p99.toFixed(2)} ` +
          `(${result.service.errors} errors) / direct p50 ${result.direct.latency.p50.toFixed(2)} p99 ${result.direct.latency.p99.toFixed(2)} in ${Date.now() - t} ms`,
      );
    }
  }
  return rows;
}
