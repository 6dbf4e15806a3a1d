import { Router } from 'express';
import type { UpdateChecker } from '../../domain/updates/update-checker';
import { queryBool } from '../query';

/** Image update checks (viewer): the registry is asked only when nothing fresh is cached, or on `refresh=true`. */
export function updatesRouter(checker: UpdateChecker): Router {
  const router = Router();
  router.get('/images/:ref/updates', async (req, res) => {
    const registryId = req.query.registry === undefined ? undefined : String(req.query.registry);
    res.json(await checker.check(req.params.ref, { refresh: queryBool(req.query.refresh) ?? false, registryId }));
  });
  return router;
}
