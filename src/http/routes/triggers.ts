import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { DEFAULT_ENGINE } from '../../domain/engines/engine-directory';
import type { TriggerService } from '../../domain/triggers/trigger-service';
import { principalOf } from '../auth';
import { setAuditOverride } from '../audit-log';

const requestIdOf = (req: Request): string => {
  const given = req.get('x-request-id');
  return given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
};

/**
 * Inbound triggers: admins create (the token is answered once), list and delete them; anyone holding a token may
 * fire its trigger (`POST /triggers/{token}`, no bearer token: the contract's one such operation under /api/v1).
 */
export function triggerRouter(
  triggers: TriggerService,
  engines: { get(engine: string, principal: ReturnType<typeof principalOf>): unknown },
): Router {
  const router = Router();
  router.get('/triggers', (_req, res) => {
    res.json({ items: triggers.list() });
  });
  router.post('/triggers', (req, res) => {
    const body = req.body as { container?: string; service?: string; engine?: string };
    const engine = body.engine ?? DEFAULT_ENGINE;
    // An engine this admin's token may not use is 404 engine_not_found, as everywhere.
    engines.get(engine, principalOf(req));
    const { trigger, token } = triggers.create(
      body.service !== undefined ? { service: body.service } : { container: String(body.container) },
      engine,
    );
    res
      .status(201)
      .location(`/api/v1/triggers/by-id/${trigger.id}`)
      .json({ ...trigger, token, url: `/api/v1/triggers/${token}` });
  });
  router.delete('/triggers/by-id/:id', (req, res) => {
    triggers.remove(String(req.params.id));
    res.status(204).end();
  });
  router.post('/triggers/:token', async (req: Request, res: Response) => {
    const requestId = requestIdOf(req);
    // The audit row names the trigger and its container, never the token (it is the credential).
    setAuditOverride(res, { token: null, target: null, requestId });
    const trigger = triggers.find(String(req.params.token));
    setAuditOverride(res, { token: `trigger:${trigger.id}`, target: trigger.target, requestId });
    const tag = (req.body as { tag?: string } | undefined)?.tag;
    const job = await triggers.fire(trigger, tag, requestId);
    res.status(202).location(`/api/v1/jobs/${job.id}`).json(job);
  });
  return router;
}
