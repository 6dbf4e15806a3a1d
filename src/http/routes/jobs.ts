import { Router } from 'express';
import type { JobKind, JobState } from '../../domain/jobs/job';
import { principalOf } from '../auth';
import type { JobService } from '../../domain/jobs/job-service';
import { DomainError } from '../../domain/errors';
import { mayUse, type EngineDirectory } from '../../domain/engines/engine-directory';

/** Jobs of every engine, each seen only by tokens that may use its engine (another engine's job is not found). */
export function jobRouter(jobs: JobService, engines: Pick<EngineDirectory<unknown>, 'get' | 'visibleTo'>): Router {
  const router = Router();
  router.get('/jobs', (req, res) => {
    const principal = principalOf(req);
    const asked = req.query.engine as string[] | undefined;
    for (const e of asked ?? []) engines.get(e, principal);
    const items = jobs.list({
      kind: req.query.kind as JobKind | undefined,
      state: req.query.state as JobState | undefined,
      engines: asked ?? engines.visibleTo(principal),
    });
    res.json({ items });
  });
  const visible = (id: string, req: Parameters<typeof principalOf>[0]) => {
    const job = jobs.find(id);
    if (!mayUse(principalOf(req), job.engine)) throw new DomainError('job_not_found', `no job ${id} (finished jobs are kept for a limited time)`);
    return job;
  };
  router.get('/jobs/:id', (req, res) => {
    res.json(visible(req.params.id, req));
  });
  router.delete('/jobs/:id', async (req, res) => {
    visible(req.params.id, req);
    res.json(await jobs.cancel(req.params.id, principalOf(req).role));
  });
  return router;
}
