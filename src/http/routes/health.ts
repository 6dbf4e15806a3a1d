import { Router } from 'express';
import { DomainError, isDomainError } from '../../domain/errors';
import type { EngineStatus, EngineVersion } from '../../domain/engine-status';
import { bearerToken, type TokenVerifier } from '../../domain/auth/tokens';

/** How long one engine answer to "ready?" is reused: whoever polls /readyz, the engine is asked at most once a second. */
export const READINESS_CACHE_MS = 1000;

/**
 * The engine's version, asked at most once per `ttlMs` while it answers; callers meanwhile share the answer, and
 * a call in flight (a hung engine is asked once per engine timeout, not once per caller). A failure is not held:
 * the first call after the engine comes back sees it ready.
 */
export function cachedVersion(engine: EngineStatus, ttlMs = READINESS_CACHE_MS, now = Date.now): () => Promise<EngineVersion> {
  let held: { at: number; answer: Promise<EngineVersion> } | undefined;
  return () => {
    if (!held || now() - held.at >= ttlMs) {
      const entry = { at: Infinity, answer: engine.version() };
      held = entry;
      entry.answer.then(
        () => (entry.at = now()),
        () => {
          if (held === entry) held = undefined;
        },
      );
    }
    return held.answer;
  };
}

export function healthRouter(engine: EngineStatus, verifier: TokenVerifier): Router {
  const router = Router();
  const version = cachedVersion(engine);
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    let v: EngineVersion;
    try {
      v = await version();
    } catch (err) {
      // Whatever went wrong with the engine, the answer to "ready?" is 503: orchestrators read only that.
      const detail = isDomainError(err) ? err.message : 'the Docker engine did not answer';
      throw new DomainError('engine_unavailable', detail);
    }
    // What runs where is for token holders only: an unauthenticated caller learns ready or not.
    const known = verifier.verify(bearerToken(req.headers.authorization)) !== undefined;
    res.json(known ? { status: 'ready', engine: v } : { status: 'ready' });
  });
  return router;
}
