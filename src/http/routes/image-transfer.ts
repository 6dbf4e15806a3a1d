import { Router, type Response } from 'express';
import { throwIfUnsuccessful, type EngineJobs } from '../../domain/jobs/job-service';
import type { Job } from '../../domain/jobs/job';
import type { ImageTagger } from '../../domain/images/image-tagger';
import { principalOf } from '../auth';
import { queryBool } from '../query';

/** 202 with the job and where to follow it, or (wait=true) the job once it ended well. */
async function answerJob(res: Response, jobs: EngineJobs, job: Job, wait: boolean): Promise<void> {
  if (!wait) {
    res.status(202).location(`/api/v1/jobs/${job.id}`).json(job);
    return;
  }
  // The wait ends with the job, not with this request: a client that goes away cancels nothing.
  const done = await jobs.wait(job.id);
  throwIfUnsuccessful(done);
  res.status(200).json(done);
}

export function imageTransferRouter(jobs: EngineJobs, tagger: ImageTagger): Router {
  const router = Router();
  router.post('/images/pull', async (req, res) => {
    const body = req.body as { image: string; registry?: string; platform?: string };
    const job = await jobs.startPull({ image: body.image, registryId: body.registry, platform: body.platform, createdBy: principalOf(req).name });
    await answerJob(res, jobs, job, queryBool(req.query.wait) ?? false);
  });
  router.post('/images/:ref/push', async (req, res) => {
    const body = (req.body ?? {}) as { registry?: string };
    const job = await jobs.startPush({ ref: req.params.ref, registryId: body.registry, createdBy: principalOf(req).name });
    await answerJob(res, jobs, job, queryBool(req.query.wait) ?? false);
  });
  router.post('/images/:ref/tag', async (req, res) => {
    const body = req.body as { repository: string; tag: string };
    const result = await tagger.tag(req.params.ref, body.repository, body.tag);
    res
      .status(201)
      .location(`/api/v1/images/${encodeURIComponent(result.image)}`)
      .json(result);
  });
  return router;
}
