import { Router } from 'express';
import type { ImageService } from '../../domain/images/image-service';
import { principalOf } from '../auth';
import { readHandler, type ReadOperation } from '../json-answer';
import { queryBool, queryList, readOptions } from '../query';
import { imageUpdate } from '../../domain/updates/container-updates';
import type { UpdateChecker } from '../../domain/updates/update-checker';

/** The image reads, by contract operationId: mounted below, and served directly by the fast read path. */
export function imageReads(
  images: ImageService,
  updates?: Pick<UpdateChecker, 'cachedRemote'>,
): { listImages: ReadOperation; inspectImage: ReadOperation } {
  return {
    listImages: async ({ role, query, header }) => {
      const rows = await images.list(
        { reference: queryList(query.reference), label: queryList(query.label), dangling: queryBool(query.dangling) },
        readOptions(header),
        role,
      );
      // `updates=true`: each image's update status from the update cache only (never a registry call).
      return { value: updates && queryBool(query.updates) ? rows.map((r) => ({ ...r, update: imageUpdate(updates, r) })) : rows, items: true };
    },
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
