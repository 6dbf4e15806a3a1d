import { Router } from 'express';
import type { JobKind, JobState } from '../../domain/jobs/job';
import { principalOf } from '../auth';
import type { JobService } from '../../domain/jobs/job-service';

export function jobRouter(jobs: JobService): Router {
  const router = Router();
  router.get('/jobs', (req, res) => {
    res.json({ items: jobs.list({ kind: req.query.kind as JobKind | undefined, state: req.query.state as JobState | undefined }) });
  });
  router.get('/jobs/:id', (req, res) => {
    res.json(jobs.find(req.params.id));
  });
  router.delete('/jobs/:id', async (req, res) => {
    res.json(await jobs.cancel(req.params.id, principalOf(req).role));
  });
  return router;
}
