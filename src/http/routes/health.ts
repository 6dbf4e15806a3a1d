import { Router } from 'express';
import { DomainError, isDomainError } from '../../domain/errors';
import type { EngineStatus } from '../../domain/engine-status';

export function healthRouter(engine: EngineStatus): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      res.json({ status: 'ready', engine: await engine.version() });
    } catch (err) {
      // Whatever went wrong with the engine, the answer to "ready?" is 503: orchestrators read only that.
      const detail = isDomainError(err) ? err.message : 'the Docker engine did not answer';
      throw new DomainError('engine_unavailable', detail);
    }
  });
  return router;
}
