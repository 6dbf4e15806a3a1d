import { Router } from 'express';
import type { ServiceMetrics } from '../../metrics/service-metrics';

/** `GET /metrics`: Prometheus text exposition (viewer token: the figures say what the service is doing). */
export function metricsRouter(metrics: ServiceMetrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.text();
    res.setHeader('Cache-Control', 'no-store');
    res.type(contentType).send(body);
  });
  return router;
}
