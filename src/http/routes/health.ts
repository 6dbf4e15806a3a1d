import { Router } from 'express';
import { DomainError } from '../../domain/errors';
import type { EngineMonitor } from '../../domain/engines/engine-monitor';
import { DEFAULT_ENGINE, mayUse, type EngineDirectory } from '../../domain/engines/engine-directory';
import { bearerToken, type TokenVerifier } from '../../domain/auth/tokens';

export function healthRouter(monitor: EngineMonitor, engines: EngineDirectory<unknown>, verifier: TokenVerifier): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    // Every engine is probed in parallel (bounded, reused for 1 s); only a required one that is down makes this 503.
    const reports = await monitor.reports(engines.names());
    const down = reports.filter((r) => r.required && r.status === 'down');
    if (down.length > 0) {
      // Whatever went wrong with the engine, the answer to "ready?" is 503: orchestrators read only that.
      throw new DomainError('engine_unavailable', down.map((r) => `engine "${r.name}": ${r.error ?? 'the Docker engine did not answer'}`).join('; '));
    }
    // What runs where is for token holders only: an unauthenticated caller learns ready or not.
    const principal = verifier.verify(bearerToken(req.headers.authorization));
    if (!principal) return void res.json({ status: 'ready' });
    const visible = reports.filter((r) => mayUse(principal, r.name));
    const main = visible.find((r) => r.name === DEFAULT_ENGINE)?.version;
    res.json({
      status: 'ready',
      ...(main ? { engine: main } : {}),
      engines: visible.map((r) => ({ name: r.name, status: r.status, required: r.required })),
    });
  });
  return router;
}
