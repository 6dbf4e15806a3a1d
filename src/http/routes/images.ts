import { Router } from 'express';
import type { ImageService } from '../../domain/images/image-service';
import { principalOf } from '../auth';
import { readHandler, type ReadOperation } from '../json-answer';
import { queryBool, queryList, readOptions } from '../query';

/** The image reads, by contract operationId: mounted below, and served directly by the fast read path. */
export function imageReads(images: ImageService): { listImages: ReadOperation; inspectImage: ReadOperation } {
  return {
    listImages: async ({ role, query, header }) => ({
      value: await images.list(
        { reference: queryList(query.reference), label: queryList(query.label), dangling: queryBool(query.dangling) },
        readOptions(header),
        role,
      ),
      items: true,
    }),
    inspectImage: async ({ role, params, header }) => ({ value: await images.inspect(params.ref, readOptions(header), role) }),
  };
}

export function imageReadRouter(images: ImageService, reads: ReturnType<typeof imageReads>): Router {
  const router = Router();
  router.get('/images', readHandler(reads.listImages));
  router.get('/images/:ref', readHandler(reads.inspectImage));
  router.get('/images/:ref/history', async (req, res) => {
    res.json({ items: await images.history(req.params.ref, principalOf(req).role) });
  });
  return router;
}
