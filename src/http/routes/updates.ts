import { Router } from 'express';
import type { UpdateChecker } from '../../domain/updates/update-checker';
import type { UpdateService } from '../../domain/updates/update-service';
import type { ContainerRecreator } from '../../domain/updates/container-recreator';
import { principalOf } from '../auth';
import { queryBool } from '../query';

/** Image update checks (viewer): the registry is asked only when nothing fresh is cached, or on `refresh=true`. */
export function updatesRouter(checker: UpdateChecker, service: UpdateService, recreator: ContainerRecreator): Router {
  const router = Router();
  router.get('/images/:ref/updates', async (req, res) => {
    const registryId = typeof req.query.registry === 'string' ? req.query.registry : undefined;
    res.json(await checker.check(req.params.ref, { refresh: queryBool(req.query.refresh) ?? false, registryId }));
  });
  router.post('/updates/check', (req, res) => {
    const job = service.startCheck(principalOf(req).name);
    res.status(202).location(`/api/v1/jobs/${job.id}`).json(job);
  });
  router.post('/containers/:id/recreate', async (req, res) => {
    const body = (req.body ?? {}) as { pull?: boolean };
    const { job, replayed } = await recreator.start(String(req.params.id), body, principalOf(req), req.get('Idempotency-Key'));
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(202).location(`/api/v1/jobs/${job.id}`).json(job);
  });
  return router;
}
