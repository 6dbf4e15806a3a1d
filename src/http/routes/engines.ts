import { Router, type RequestHandler } from 'express';
import { withTimeout } from '../../domain/timeout';
import { DEFAULT_ENGINE, type EngineDirectory } from '../../domain/engines/engine-directory';
import type { EngineMonitor, EngineReport } from '../../domain/engines/engine-monitor';
import { DomainError, isDomainError } from '../../domain/errors';
import { principalOf } from '../auth';
import { queryList } from '../query';
import type { ReadOperation } from '../json-answer';

/** The fields of `Engine` in the contract. */
export const engineView = (r: EngineReport) => ({
  name: r.name,
  status: r.status,
  since: r.since,
  required: r.required,
  labels: r.labels,
  version: r.version?.version ?? null,
  apiVersion: r.version?.apiVersion ?? null,
  os: r.version?.os ?? null,
  arch: r.version?.arch ?? null,
  swarm: r.info?.swarm ?? null,
  error: r.error,
});

/** What a fleet view needs of each engine: its list operation (the very one its own route answers with). */
export interface FleetReads {
  listContainers: ReadOperation;
  listImages: ReadOperation;
}

/**
 * `/engines`, `/engines/{engine}` and the fleet views `/engines/all/…`. An engine the token may not use is 404.
 * (Each engine's own routes, `/engines/{engine}/…`, are its router mounted at its literal prefix: see engineMounts.)
 */
export function enginesRouter(
  engines: EngineDirectory<unknown>,
  monitor: EngineMonitor,
  reads: ReadonlyMap<string, FleetReads>,
  timeoutOf: (engine: string) => number,
): Router {
  const router = Router();
  router.get('/engines', async (req, res) => {
    const reports = await monitor.reports(engines.visibleTo(principalOf(req)));
    res.json({ items: reports.map(engineView) });
  });
  const fleet = (op: keyof FleetReads): RequestHandler => {
    return async (req, res) => {
      const principal = principalOf(req);
      const asked = queryList(req.query.engine);
      const names = asked ? [...new Set(asked)].map((n) => (engines.get(n, principal), n)) : engines.visibleTo(principal);
      const query = { ...req.query };
      delete query.engine;
      const answers = await Promise.allSettled(
        names.map((n) =>
          withTimeout(
            (reads.get(n) as FleetReads)[op]({ role: principal.role, query, params: {}, header: (h) => req.get(h) }),
            timeoutOf(n),
            () => new DomainError('engine_timeout', `no answer within ${timeoutOf(n)} ms`),
          ),
        ),
      );
      const items: unknown[] = [];
      const missing: { engine: string; code: string; message: string }[] = [];
      answers.forEach((a, i) => {
        const engine = names[i];
        if (a.status === 'fulfilled') {
          for (const item of a.value.value as Record<string, unknown>[]) items.push({ engine, ...item });
        } else {
          const err = a.reason as unknown;
          missing.push({
            engine,
            code: isDomainError(err) ? err.code : 'engine_error',
            message: isDomainError(err) ? err.message : 'the engine failed',
          });
        }
      });
      res.json({ items, missing });
    };
  };
  router.get('/engines/all/containers', fleet('listContainers'));
  router.get('/engines/all/images', fleet('listImages'));
  router.get('/engines/:engine', async (req, res) => {
    engines.get(req.params.engine, principalOf(req));
    res.json(engineView(await monitor.report(req.params.engine)));
  });
  return router;
}

/** An engine name as a literal Express path (path-to-regexp treats `.` and `+` specially unless escaped). */
export const enginePrefix = (engine: string): string => `/engines/${engine.replace(/[^a-zA-Z0-9_-]/g, (c) => `\\${c}`)}`;

/**
 * Which engine a request that matched a contract operation is for, checked against the token before any route
 * runs: `/api/v1/engines/{engine}/…` names it (404 engine_not_found when it is not configured or not the token's),
 * the plain paths of engine-scoped operations mean `default`. Service-wide operations pass.
 */
export function engineScope(engines: Pick<EngineDirectory<unknown>, 'get'>, plainScoped: ReadonlySet<string>): RequestHandler {
  return (req, _res, next) => {
    const matched = (req as { openapi?: { openApiRoute?: string; pathParams?: Record<string, string> } }).openapi;
    const route = matched?.openApiRoute;
    if (route?.startsWith('/api/v1/engines/{engine}/')) engines.get(matched?.pathParams?.engine ?? '', principalOf(req));
    else if (route && plainScoped.has(route)) engines.get(DEFAULT_ENGINE, principalOf(req));
    next();
  };
}
