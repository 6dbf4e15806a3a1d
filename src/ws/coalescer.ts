import { FINAL_JOB_STATES, type Job } from '../domain/jobs/job';

/**
 * Rate-limits one subscriber's job progress: at most one frame per `minIntervalMs`, always the latest state,
 * `percent` never lower than what this subscriber was already shown, and the final state sent at once.
 */
export class ProgressCoalescer {
  private lastEmit = Number.NEGATIVE_INFINITY;
  private pending: Job | undefined;
  private timer: NodeJS.Timeout | undefined;
  private shownPercent = 0;
  private done = false;

  constructor(
    private readonly emit: (job: Job, final: boolean) => void,
    private readonly minIntervalMs = 100,
  ) {}

  push(job: Job): void {
    if (this.done) return;
    if (FINAL_JOB_STATES.includes(job.state)) {
      this.done = true;
      this.cancelTimer();
      this.pending = undefined;
      this.send(job, true);
      return;
    }
    const wait = this.lastEmit + this.minIntervalMs - Date.now();
    if (wait <= 0 && !this.timer) {
      this.send(job, false);
      return;
    }
    this.pending = job;
    if (!this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          const next = this.pending;
          this.pending = undefined;
          if (next && !this.done) this.send(next, false);
        },
        Math.max(0, wait),
      );
    }
  }

  /** Stops any scheduled frame (the subscriber went away). */
  close(): void {
    this.done = true;
    this.pending = undefined;
    this.cancelTimer();
  }

  private send(job: Job, final: boolean): void {
    this.lastEmit = Date.now();
    const percent = job.state === 'succeeded' ? 100 : Math.max(this.shownPercent, Math.min(100, job.progress.percent));
    this.shownPercent = percent;
    this.emit(percent === job.progress.percent ? job : { ...job, progress: { ...job.progress, percent } }, final);
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
