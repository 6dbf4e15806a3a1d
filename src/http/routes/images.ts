import { Router } from 'express';
import type { ImageService } from '../../domain/images/image-service';
import { readHandler, type ReadOperation } from '../json-answer';
import { queryBool, queryList, readOptions } from '../query';

/** The image reads, by contract operationId: mounted below, and served directly by the fast read path. */
export function imageReads(images: ImageService): { listImages: ReadOperation; inspectImage: ReadOperation } {
  return {
    listImages: async ({ query, header }) => ({
      value: await images.list(
        { reference: queryList(query.reference), label: queryList(query.label), dangling: queryBool(query.dangling) },
        readOptions(header),
      ),
      items: true,
    }),
    inspectImage: async ({ params, header }) => ({ value: await images.inspect(params.ref, readOptions(header)) }),
  };
}

export function imageReadRouter(images: ImageService, reads: ReturnType<typeof imageReads>): Router {
  const router = Router();
  router.get('/images', readHandler(reads.listImages));
  router.get('/images/:ref', readHandler(reads.inspectImage));
  router.get('/images/:ref/history', async (req, res) => {
    res.json({ items: await images.history(req.params.ref) });
  });
  return router;
}
