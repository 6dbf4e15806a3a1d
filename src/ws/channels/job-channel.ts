import { CHANNEL_ROLES } from '../channel-roles';
import { DomainError } from '../../domain/errors';
import { FINAL_JOB_STATES, type JobFeed } from '../../domain/jobs/job';
import { ProgressCoalescer } from '../coalescer';
import { mayUse } from '../../domain/engines/engine-directory';
import type { SubscribeJob } from '../protocol';
import type { Channel, Subscription, SubscriptionSink } from '../subscription';

/** A pull or push job's progress: the current state at once, then coalesced updates, then the final state. */
export class JobChannel implements Channel<SubscribeJob> {
  readonly role = CHANNEL_ROLES.job;

  /** `jobs` is absent when this build has no jobs service: subscriptions are refused, never faked. */
  constructor(
    private readonly jobs: JobFeed | undefined,
    private readonly minIntervalMs = 100,
  ) {}

  open(frame: SubscribeJob, sink: SubscriptionSink): Subscription {
    if (!this.jobs) throw new DomainError('job_not_found', 'this service has no jobs service: no job can be followed');
    const jobs = this.jobs;
    const job = jobs.get(frame.jobId);
    // A job on an engine the token may not use is not found, as over REST.
    if (!job || !mayUse(sink.principal, job.engine)) throw new DomainError('job_not_found', `no job "${frame.jobId}"`, { jobId: frame.jobId });
    const coalescer = new ProgressCoalescer((job, final) => {
      sink.send('progress', job);
      if (final) {
        stop();
        sink.end({ reason: job.state });
      }
    }, this.minIntervalMs);
    sink.send('subscribed', { channel: 'job', jobId: frame.jobId });
    let stop: () => void = () => undefined;
    let stopped = false;
    // Subscribe before reading the current state, so a job finishing in between cannot be missed.
    const off = jobs.subscribe(frame.jobId, (job) => coalescer.push(job));
    stop = () => {
      if (!stopped) off();
      stopped = true;
    };
    const current = jobs.get(frame.jobId);
    if (current) coalescer.push(current);
    if (current && FINAL_JOB_STATES.includes(current.state)) stop();
    return {
      close: () => {
        coalescer.close();
        stop();
      },
    };
  }
}
