import { Router } from 'express';
import type { EngineStatus } from '../../domain/engine-status';

export function healthRouter(engine: EngineStatus): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    // Any engine failure here is "not ready": the error handler turns it into a 503/504 problem.
    const version = await engine.version();
    res.json({ status: 'ready', engine: version });
  });
  return router;
}
