import type { Request, RequestHandler } from 'express';
import type { ServiceMetrics } from '../metrics/service-metrics';

/** The contract's route template (e.g. `/api/v1/containers/{id}`), never the raw URL: bounded label values. */
export const contractRoute = (req: Request): string | undefined => (req as { openapi?: { openApiRoute?: string } }).openapi?.openApiRoute;

/** Observes each answered request's duration by contract route, method and status. */
export function requestMetrics(metrics: ServiceMetrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      metrics.httpDuration.observe({ method: req.method, route: contractRoute(req) ?? 'unmatched', status: String(res.statusCode) }, seconds);
    });
    next();
  };
}
