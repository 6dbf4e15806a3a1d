import { Router } from 'express';
import type { ImageAdminServices } from '../../domain/images/image-admin-services';
import type { PruneRequest } from '../../domain/images/image-prune-service';
import { queryBool, queryInt } from '../query';

/** Image removal, prune, search and disk usage. Mounted before the image reads so `/images/search` wins over `/images/:ref`. */
export function imageAdminRouter(s: ImageAdminServices): Router {
  const router = Router();
  router.get('/images/search', async (req, res) => {
    const term = typeof req.query.term === 'string' ? req.query.term : undefined;
    const registry = typeof req.query.registry === 'string' ? req.query.registry : undefined;
    res.json(await s.search.search({ term, registry, limit: queryInt(req.query.limit) ?? 25 }));
  });
  router.post('/images/prune', async (req, res) => {
    const body = (req.body ?? {}) as PruneRequest;
    res.json(await s.prune.prune({ all: body.all, until: body.until, label: body.label }, queryBool(req.query.dryRun) ?? false));
  });
  router.delete('/images/:ref', async (req, res) => {
    res.json(
      await s.removal.remove(req.params.ref, {
        force: queryBool(req.query.force) ?? false,
        noprune: queryBool(req.query.noprune) ?? false,
        dryRun: queryBool(req.query.dryRun) ?? false,
      }),
    );
  });
  router.get('/system/disk-usage', async (_req, res) => {
    res.json(await s.diskUsage.usage());
  });
  return router;
}
