import type { Job } from '../../src/domain/jobs/job';

/**
 * A job's state with its error beside it, for assertions: when a job that should have succeeded failed, the test
 * output shows why (`error.code`, `error.message`), not just "failed" or a status code.
 */
export const outcome = (job: Pick<Job, 'state' | 'error'>): Pick<Job, 'state' | 'error'> => ({ state: job.state, error: job.error });

/** An HTTP answer that carries a job (`?wait=true`): its status, the job's state and error. */
export const answered = (res: { status: number; body: Partial<Job> }) => ({
  status: res.status,
  state: res.body.state,
  error: res.body.error ?? null,
});
