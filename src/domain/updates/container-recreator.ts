import type { Principal } from '../auth/tokens';
import type { ContainerReplica, ContainerReplicas, ContainerRepository } from '../containers/container';
import { parseContainerRef } from '../containers/container-ref';
import { fingerprint, IdempotencyStore, type IdempotencyOptions } from '../containers/idempotency-store';
import { DomainError, isDomainError } from '../errors';
import type { ImagePuller } from '../images/image-puller';
import { parseImageLookup, retagged } from '../images/reference';
import type { Job } from '../jobs/job';
import type { EngineJobs, TaskContext } from '../jobs/job-service';

export interface RecreateOptions {
  /** The replacement must stay running (and become healthy, with a healthcheck) this long before the old one goes. */
  settleMs: number;
  /** How long a replacement with a healthcheck may take to become healthy after the settle period. */
  healthTimeoutMs: number;
  pollMs: number;
  /**
   * Seconds the old container gets to stop before it is killed; absent: its own grace period (`StopTimeout`, else
   * 10 s), as `docker stop` gives it (the stop call's budget includes that grace period).
   */
  stopGraceSeconds?: number;
  idempotency: IdempotencyOptions;
}

/** A structured audit line (`log: "audit"`). */
export type RecreateAudit = (event: string, fields: Record<string, unknown>) => void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reason = (err: unknown): DomainError =>
  isDomainError(err) ? err : new DomainError('internal_error', err instanceof Error ? err.message : String(err));

/**
 * Recreate a container on the image its tag points at now, as a `recreate` job: pull (if asked), create the
 * replacement from the old container's configuration, stop the old, start the new, let it settle, remove the old.
 * Anything failing puts the old container back as it was (its name, running if it ran) and fails the job.
 */
export class ContainerRecreator {
  private readonly idempotency: IdempotencyStore<Job>;

  constructor(
    private readonly repo: ContainerRepository,
    private readonly replicas: ContainerReplicas,
    private readonly puller: ImagePuller,
    private readonly jobs: EngineJobs,
    private readonly audit: RecreateAudit,
    private readonly opts: RecreateOptions,
  ) {
    this.idempotency = new IdempotencyStore(opts.idempotency);
  }

  /** Starts (or joins, while one runs for the container) the job; a retried Idempotency-Key answers the same job. */
  async start(ref: string, body: { pull?: boolean; tag?: string }, by: Principal, idempotencyKey?: string): Promise<{ job: Job; replayed: boolean }> {
    const id = parseContainerRef(ref);
    const open = async (): Promise<Job> => {
      const old = await this.replicas.replicaOf(id);
      const lookup = parseImageLookup(old.spec.image).reference;
      if ((body.pull === true || body.tag !== undefined) && !lookup) {
        throw new DomainError(
          'invalid_request',
          `container ${old.name} was created from an image id (${old.spec.image.slice(0, 19)}): there is nothing to pull`,
        );
      }
      const image = body.tag === undefined || !lookup ? old.spec.image : retagged(lookup.name, body.tag);
      return this.jobs.startTask('recreate', old.id, image, by.name, (ctx) => this.run(old, image, body.pull === true, by, ctx));
    };
    if (idempotencyKey === undefined) return { job: await open(), replayed: false };
    const { value, replayed } = await this.idempotency.run(
      by.name,
      idempotencyKey,
      fingerprint({ id, pull: body.pull === true, tag: body.tag ?? null }),
      open,
    );
    // A replay answers the job as it is now, not as it was when it started.
    return { job: (replayed && this.jobs.get(value.id)) || value, replayed };
  }

  private async run(old: ContainerReplica, image: string, pull: boolean, by: Principal, ctx: TaskContext): Promise<Record<string, unknown>> {
    const total = pull ? 6 : 5;
    let n = 0;
    const step = (status: string) => ctx.step(n++, total, status);
    if (pull) {
      step(`pulling ${image}`);
      await this.puller.pullAndWait(image, { createdBy: by.name });
    }
    // The old one steps aside under another name, so the replacement can take its name before it is removed.
    const aside = `${old.name}-dkh-old-${old.id.slice(0, 12)}`;
    step(`renaming ${old.name} to ${aside}`);
    await this.repo.rename(old.id, aside);
    let newId: string | undefined;
    try {
      step(`creating the replacement ${old.name}`);
      newId = await this.repo.create({ ...old.spec, image, name: old.name });
      step(`stopping ${old.id.slice(0, 12)}, starting ${newId.slice(0, 12)}`);
      if (old.running) await this.repo.stop(old.id, this.opts.stopGraceSeconds);
      await this.repo.start(newId);
      step(`waiting ${Math.round(this.opts.settleMs / 1000)} s for ${newId.slice(0, 12)} to settle`);
      await this.settle(newId, old.healthcheck, ctx.signal);
    } catch (err) {
      const why = reason(err);
      await this.rollBack(old, newId);
      this.audit('container.recreate', {
        oldId: old.id,
        newId: newId ?? null,
        name: old.name,
        by: by.name,
        outcome: 'rolled_back',
        code: why.code,
        reason: why.message,
      });
      throw new DomainError(why.code, `${why.message}; the old container ${old.id.slice(0, 12)} was put back as ${old.name}`, {
        oldId: old.id,
        rolledBack: true,
      });
    }
    step(`removing the old container ${old.id.slice(0, 12)}`);
    await this.repo.remove(old.id, { force: true, volumes: false });
    this.audit('container.recreate', { oldId: old.id, newId, name: old.name, by: by.name, outcome: 'replaced', pulled: pull });
    ctx.step(total, total, `replaced ${old.id.slice(0, 12)} by ${newId.slice(0, 12)}`);
    return { oldId: old.id, newId, name: old.name, pulled: pull };
  }

  /** Running for the whole settle period without a restart; with a healthcheck, healthy at its end. */
  private async settle(id: string, healthcheck: boolean, signal: AbortSignal): Promise<void> {
    const until = Date.now() + this.opts.settleMs;
    const healthUntil = until + this.opts.healthTimeoutMs;
    for (;;) {
      if (signal.aborted) throw new DomainError('shutting_down', 'the recreate was stopped');
      const c = await this.repo.inspect(id);
      if (!c.state.running || c.state.restarting || c.restartCount > 0) {
        throw new DomainError(
          'container_not_running',
          `the replacement stopped during the settle period (exit code ${c.state.exitCode}${c.state.error ? `: ${c.state.error}` : ''})`,
        );
      }
      if (healthcheck && c.state.health === 'unhealthy') throw new DomainError('container_not_running', 'the replacement became unhealthy');
      const now = Date.now();
      if (now >= until && (!healthcheck || c.state.health === 'healthy')) return;
      if (now >= healthUntil)
        throw new DomainError(
          'container_not_running',
          `the replacement did not become healthy within ${Math.round((this.opts.settleMs + this.opts.healthTimeoutMs) / 1000)} s`,
        );
      await sleep(this.opts.pollMs);
    }
  }

  /** Puts the old container back as it was: the replacement removed, its name restored, started if it ran. */
  private async rollBack(old: ContainerReplica, newId: string | undefined): Promise<void> {
    if (newId) await this.repo.remove(newId, { force: true, volumes: false }).catch(() => undefined);
    await this.repo.rename(old.id, old.name).catch(() => undefined);
    if (old.running) await this.repo.start(old.id).catch(() => undefined);
  }
}
