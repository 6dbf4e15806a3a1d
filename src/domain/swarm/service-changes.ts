import { DomainError } from '../errors';
import { resolveReference, retagged } from '../images/reference';
import type { Job, ServiceJobProgress } from '../jobs/job';
import type { EngineJobs, TaskContext } from '../jobs/job-service';
import type { ImagePinner } from './service-create';
import { checkServiceId } from './swarm-service';
import type { ServiceChange, ServiceRecord, ServiceTask, SwarmEngine } from './swarm';

export type ServiceJobKind = 'service_update' | 'service_scale' | 'service_rollback';

/** Wakes a change job when something about a service may have moved (its `service` events, its tasks' containers). */
export interface ServiceWatch {
  watch(serviceId: string, onChange: () => void): () => void;
}

export interface ServiceChangeOptions {
  /** The slow fallback re-read, for what no event announces (a task turning `running` on a node no engine of ours is). */
  fallbackMs: number;
  /** At most one re-read this often, however many events arrive. */
  minReadGapMs: number;
  /** A change still not converged after this long fails (engine_timeout). */
  maxWaitMs: number;
}

/** What a service job shows of its progress (the `service` field of the job). */
export type ServiceProgress = ServiceJobProgress;

// The engine's task states in their order (swarmkit's): a desired state past `running` is a task on its way out.
const ORDER = [
  'new',
  'allocated',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
];
const rank = (s: string) => ORDER.indexOf(s) + 1;
const terminal = (s: string) => rank(s) > rank('running');

/**
 * The tasks that stand for each slot, as the docker CLI picks them: only tasks on the current spec; of two in one
 * slot, the one with the lower desired state, then the lower observed state (a start-first update has two).
 */
export function slotsOf(tasks: readonly ServiceTask[], global: boolean): ServiceTask[] {
  const bySlot = new Map<string, ServiceTask>();
  for (const t of tasks) {
    if (!t.upToDate || rank(t.desiredState) === 0 || rank(t.state) === 0) continue;
    const key = global ? t.nodeId : String(t.slot);
    const had = bySlot.get(key);
    if (had) {
      if (rank(had.desiredState) < rank(t.desiredState)) continue;
      if (rank(had.desiredState) === rank(t.desiredState) && rank(had.state) <= rank(t.state)) continue;
    }
    bySlot.set(key, t);
  }
  return [...bySlot.values()].sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || a.nodeId.localeCompare(b.nodeId));
}

export function progressOf(
  record: ServiceRecord,
  tasks: readonly ServiceTask[],
  sinceIso: string,
  updateState: string | null,
  rollback: boolean,
): ServiceProgress {
  const slots = slotsOf(tasks, record.mode === 'global');
  return {
    serviceId: record.id,
    name: record.name,
    desired: record.desired,
    updated: slots.filter((t) => !terminal(t.desiredState)).length,
    running: slots.filter((t) => !terminal(t.desiredState) && t.state === 'running').length,
    failed: tasks.filter((t) => (t.state === 'failed' || t.state === 'rejected') && t.createdAt >= sinceIso).length,
    updateState,
    rollback,
    slots: slots.map((t) => ({ slot: t.slot, nodeId: t.nodeId, taskId: t.id, state: t.state, desiredState: t.desiredState, error: t.error })),
  };
}

/** A job's view of the engine's update status: only a status that began after the job's write is the job's own. */
export type Outcome =
  { state: 'waiting' } | { state: 'succeeded' } | { state: 'failed'; code: 'update_rolled_back' | 'update_paused'; message: string };

export function judge(kind: ServiceJobKind, updateState: string | null, message: string, rollbackMessage: string | null): Outcome {
  switch (updateState) {
    case 'paused':
      return { state: 'failed', code: 'update_paused', message: `the update paused: ${message}` };
    case 'rollback_paused':
      return { state: 'failed', code: 'update_paused', message: `the rollback paused: ${message}` };
    case 'rollback_completed':
      if (kind === 'service_rollback') return { state: 'waiting' };
      return { state: 'failed', code: 'update_rolled_back', message: rollbackMessage || message || 'the engine rolled the update back' };
    default:
      return { state: 'waiting' };
  }
}

/**
 * Update, scale and rollback of a swarm service as jobs. The job writes the change, then re-reads the service and its
 * tasks when the engine says something moved (its `service` events, container events of its tasks on registered
 * engines; a slow fallback tick for the rest) and ends as the docker CLI decides: `succeeded` once every slot runs a
 * task of the current spec and stays so for the update config's monitor period (or the engine reports the update
 * completed), `failed` with update_rolled_back / update_paused and the engine's message.
 */
export class ServiceChanges {
  constructor(
    private readonly engine: SwarmEngine,
    private readonly jobs: EngineJobs,
    private readonly pinner: ImagePinner,
    private readonly watcher: ServiceWatch,
    private readonly opts: ServiceChangeOptions,
    /** 409 swarm_inactive / not_swarm_manager before anything else. */
    private readonly requireManager: () => Promise<unknown>,
  ) {}

  /** Reads the service and refuses a stale `If-Match` version with 412 precondition_failed. */
  private async current(id: string, ifMatch: number | undefined): Promise<ServiceRecord> {
    checkServiceId(id);
    await this.requireManager();
    const record = await this.engine.serviceRecord(id);
    if (ifMatch !== undefined && record.version !== ifMatch) {
      throw new DomainError('precondition_failed', `service ${record.name} is at version ${record.version}, not ${ifMatch}: read it again`, {
        version: record.version,
      });
    }
    return record;
  }

  async update(
    id: string,
    change: { image?: string; registry?: string; env?: Record<string, string>; force?: boolean },
    ifMatch: number | undefined,
    by: string,
  ): Promise<Job> {
    const record = await this.current(id, ifMatch);
    const pinned = change.image !== undefined ? await this.pinner.pin(change.image, change.registry) : undefined;
    const write: ServiceChange = {
      ...(pinned ? { image: pinned.image } : {}),
      ...(change.env ? { env: change.env } : {}),
      ...(change.force ? { force: true } : {}),
    };
    return this.start('service_update', record, ifMatch, by, (r) => this.engine.updateService(r.id, r.version, r.spec, write, pinned?.credentials));
  }

  /**
   * A trigger's redeploy: the service's own repository on `tag`, or on the tag it runs, pinned again to the digest
   * the registry holds now (a CI that pushed the same tag again gets its new image rolled out).
   */
  async redeploy(id: string, tag: string | undefined, by: string): Promise<Job> {
    const record = await this.current(id, undefined);
    const spec = record.spec as { TaskTemplate?: { ContainerSpec?: { Image?: string } } };
    const image = spec.TaskTemplate?.ContainerSpec?.Image;
    if (!image) throw new DomainError('invalid_request', `service ${record.name} names no image`);
    const running = resolveReference(image);
    const target = tag !== undefined ? retagged(running.name, tag) : `${running.name}:${running.reference.tag ?? 'latest'}`;
    return this.update(record.id, { image: target }, undefined, by);
  }

  async scale(id: string, replicas: number, ifMatch: number | undefined, by: string): Promise<Job> {
    const record = await this.current(id, ifMatch);
    if (record.mode === 'global') throw new DomainError('invalid_request', 'a global service runs one task per node: it cannot be scaled');
    return this.start('service_scale', record, ifMatch, by, (r) => this.engine.updateService(r.id, r.version, r.spec, { replicas }));
  }

  async rollback(id: string, ifMatch: number | undefined, by: string): Promise<Job> {
    const record = await this.current(id, ifMatch);
    if (!record.hasPreviousSpec) throw new DomainError('conflict', `service ${record.name} has no previous spec to roll back to`);
    return this.start('service_rollback', record, ifMatch, by, (r) => this.engine.rollbackService(r.id, r.version, r.spec));
  }

  private start(
    kind: ServiceJobKind,
    record: ServiceRecord,
    ifMatch: number | undefined,
    by: string,
    write: (r: ServiceRecord) => Promise<void>,
  ): Job {
    return this.jobs.startTask(kind, record.id, record.name, by, async (ctx) => {
      const since = new Date(Date.now() - 1000).toISOString();
      try {
        await write(record);
      } catch (err) {
        // The engine refuses a write at a version someone moved past ("update out of sequence").
        const now = await this.engine.serviceRecord(record.id).catch(() => record);
        if (now.version !== record.version) {
          throw new DomainError(
            ifMatch !== undefined ? 'precondition_failed' : 'version_conflict',
            `service ${record.name} changed meanwhile (version ${record.version} → ${now.version})`,
            {
              version: now.version,
            },
          );
        }
        throw err;
      }
      return this.follow(kind, record, since, ctx);
    });
  }

  /** Re-reads on the service's events (coalesced) and on a slow fallback tick, until the job's outcome is known. */
  private follow(kind: ServiceJobKind, before: ServiceRecord, since: string, ctx: TaskContext): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const startedAt = Date.now();
      let convergedAt: number | null = null;
      let rollbackMessage: string | null = null;
      let reading = false;
      let again = false;
      let lastRead = 0;
      let timer: NodeJS.Timeout | undefined;
      let ended = false;
      const end = (fn: () => void) => {
        if (ended) return;
        ended = true;
        stopWatch();
        clearTimeout(timer);
        clearInterval(tick);
        ctx.signal.removeEventListener('abort', onAbort);
        fn();
      };
      const baseline = before.updateStatus?.startedAt ?? null;
      const read = async () => {
        if (ended) return;
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        lastRead = Date.now();
        try {
          const [record, tasks] = await Promise.all([this.engine.serviceRecord(before.id), this.engine.listTasks(before.id)]);
          // Scaling starts no rolling update: an update status is only the job's own when it began after its write.
          const own = kind !== 'service_scale' && record.updateStatus && record.updateStatus.startedAt !== baseline ? record.updateStatus : null;
          if (own?.state === 'rollback_started' && own.message) rollbackMessage ??= own.message;
          const rollback = own?.state.startsWith('rollback') === true;
          const progress = progressOf(record, tasks, since, own?.state ?? null, rollback);
          const outcome = judge(kind, own?.state ?? null, own?.message ?? '', rollbackMessage);
          const converged = progress.running === progress.desired && progress.updated === progress.desired;
          if (converged) convergedAt ??= Date.now();
          else convergedAt = null;
          const verifying = convergedAt !== null ? Math.max(0, record.monitorMs - (Date.now() - convergedAt)) : null;
          const status = rollback
            ? `rolling back: ${progress.running}/${progress.desired} running`
            : verifying !== null
              ? `${progress.running}/${progress.desired} running; verifying they stay up (${Math.ceil(verifying / 1000)} s)`
              : `${progress.running}/${progress.desired} running on the new spec`;
          ctx.step(progress.running, Math.max(progress.desired, 1), status, { ...progress });
          const result = { version: record.version, ...progress };
          if (outcome.state === 'failed') return end(() => reject(new DomainError(outcome.code, outcome.message, { serviceId: record.id })));
          // The engine's own word that the update is done ends the job as the CLI does.
          if (own?.state === 'completed' && convergedAt === null && kind !== 'service_scale') return end(() => resolve(result));
          if (convergedAt !== null && verifying === 0) return end(() => resolve(result));
          if (verifying !== null && verifying > 0) {
            clearTimeout(timer);
            timer = setTimeout(() => void read(), verifying + 50);
          }
          if (Date.now() - startedAt > this.opts.maxWaitMs) {
            return end(() =>
              reject(new DomainError('engine_timeout', `service ${record.name} did not converge within ${Math.round(this.opts.maxWaitMs / 1000)} s`)),
            );
          }
        } catch (err) {
          if (err instanceof DomainError && err.code === 'service_not_found') return end(() => reject(err));
          // A failed read (engine busy) is retried on the next event or tick.
        } finally {
          reading = false;
          if (again && !ended) {
            again = false;
            wake();
          }
        }
      };
      const wake = () => {
        if (ended) return;
        const wait = Math.max(0, this.opts.minReadGapMs - (Date.now() - lastRead));
        if (wait === 0) void read();
        else {
          clearTimeout(timer);
          timer = setTimeout(() => void read(), wait);
        }
      };
      const onAbort = () => end(() => reject(new DomainError('shutting_down', 'the job was stopped')));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const stopWatch = this.watcher.watch(before.id, wake);
      const tick = setInterval(wake, this.opts.fallbackMs);
      void read();
    });
  }
}
