import type { ContainerRepository } from '../containers/container';
import { isDomainError } from '../errors';
import type { Job } from '../jobs/job';
import type { EngineJobs } from '../jobs/job-service';
import { formatReference, parseImageLookup } from '../images/reference';
import type { ImageUpdate } from './image-update';
import type { UpdateChecker } from './update-checker';

/** Checks every image that containers use, as a job (on demand, or on a timer when UPDATE_CHECK_INTERVAL_MS is set). */
export class UpdateService {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly checker: UpdateChecker,
    private readonly containers: ContainerRepository,
    private readonly jobs: EngineJobs,
  ) {}

  /** Starts (or joins) the check of every image in use. */
  startCheck(createdBy: string): Job {
    return this.jobs.startTask('update_check', 'all', '*', createdBy, async ({ step, signal }) => {
      step(0, 1, 'listing the containers');
      const rows = await this.containers.list({ all: true, size: false });
      const references = new Set<string>();
      for (const row of rows) {
        const image = row.image;
        try {
          const lookup = parseImageLookup(image);
          if (lookup.reference && !lookup.reference.reference.digest) references.add(formatReference(lookup.reference.reference));
        } catch {
          // an image id (the tag moved on): nothing to ask a registry about under that name
        }
      }
      const images: (ImageUpdate | { reference: string; status: 'unknown'; error: string })[] = [];
      let done = 0;
      for (const reference of references) {
        if (signal.aborted) break;
        step(done, references.size, `checking ${reference}`);
        try {
          images.push(await this.checker.check(reference, { refresh: true }));
        } catch (err) {
          // One image that cannot be checked (not allowed, gone) does not stop the others.
          images.push({ reference, status: 'unknown', error: isDomainError(err) ? err.code : 'internal_error' });
        }
        done++;
      }
      step(done, references.size, 'done');
      return {
        checked: images.length,
        outdated: images.filter((i) => i.status === 'outdated').length,
        unknown: images.filter((i) => i.status === 'unknown').length,
        images,
      };
    });
  }

  /** Runs startCheck every `intervalMs` (0: never); the timer does not keep the process alive. */
  startBackground(intervalMs: number, onError: (err: unknown) => void): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.startCheck('background');
      } catch (err) {
        onError(err);
      }
    }, intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
