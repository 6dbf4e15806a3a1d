import { Router } from 'express';
import type { ImageService } from '../../domain/images/image-service';
import { queryBool, queryList, readOptions } from '../query';

export function imageReadRouter(images: ImageService): Router {
  const router = Router();
  router.get('/images', async (req, res) => {
    const items = await images.list({
      reference: queryList(req.query.reference),
      label: queryList(req.query.label),
      dangling: queryBool(req.query.dangling),
    }, readOptions(req));
    res.json({ items });
  });
  router.get('/images/:ref', async (req, res) => {
    res.json(await images.inspect(req.params.ref, readOptions(req)));
  });
  router.get('/images/:ref/history', async (req, res) => {
    res.json({ items: await images.history(req.params.ref) });
  });
  return router;
}
