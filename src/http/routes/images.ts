import { Router, type RequestHandler } from 'express';
import type { ImageService } from '../../domain/images/image-service';
import { sendJson } from '../json-answer';
import { queryBool, queryList, readOptions } from '../query';

/** The image reads the fast read path may dispatch (src/http/fast-reads.ts), by contract operationId. */
export function imageReads(images: ImageService): { listImages: RequestHandler; inspectImage: RequestHandler } {
  return {
    listImages: async (req, res) => {
      const items = await images.list(
        {
          reference: queryList(req.query.reference),
          label: queryList(req.query.label),
          dangling: queryBool(req.query.dangling),
        },
        readOptions(req),
      );
      sendJson(res, items, { items: true });
    },
    inspectImage: async (req, res) => {
      sendJson(res, await images.inspect(String(req.params.ref), readOptions(req)));
    },
  };
}

export function imageReadRouter(images: ImageService, reads = imageReads(images)): Router {
  const router = Router();
  router.get('/images', reads.listImages);
  router.get('/images/:ref', reads.inspectImage);
  router.get('/images/:ref/history', async (req, res) => {
    res.json({ items: await images.history(req.params.ref) });
  });
  return router;
}
