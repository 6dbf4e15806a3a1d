import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AuditEntry } from '../audit/audit-record';
import type { Principal } from '../auth/tokens';
import { parseContainerRef } from '../containers/container-ref';
import { checkServiceId } from '../swarm/swarm-service';
import { DomainError } from '../errors';
import { checkUuid } from '../ids';
import type { Job } from '../jobs/job';
import type { RateLimiter } from '../limits/rate-limiter';
import type { Trigger, TriggerStore } from './trigger';

/** What a trigger starts: the recreate job of src/domain/updates/container-recreator.ts. */
export interface Redeployer {
  start(ref: string, body: { pull?: boolean; tag?: string }, by: Principal): Promise<{ job: Job }>;
}

/** What a service trigger starts: the `service_update` job of src/domain/swarm/service-changes.ts. */
export interface ServiceRedeployer {
  redeploy(service: string, tag: string | undefined, by: string): Promise<Job>;
}

export interface TriggerOutcomes {
  /** Resolves with the job once it ended. */
  wait(id: string): Promise<Job>;
}

/** The audit trail's record (src/domain/audit). */
export type TriggerAudit = (entry: Omit<AuditEntry, 'time'>) => void;

const hashOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();
const NOT_FOUND = () => new DomainError('not_found', 'no such trigger');

/**
 * Inbound triggers: a URL with an unguessable token (256 random bits) that redeploys one container, without a bearer
 * token. Only the token's SHA-256 is kept; a call compares its hash with every stored one in constant time and
 * without stopping at a match, so a wrong token and an unknown one take the same time and get the same 404.
 */
export class TriggerService {
  constructor(
    private readonly store: TriggerStore,
    /** The redeployer of each engine; undefined for a name no longer configured. */
    private readonly redeployers: (engine: string) => Redeployer | undefined,
    /** Each engine's swarm service changes (its swarm must be active, and the engine a manager, when a call comes). */
    private readonly serviceRedeployers: (engine: string) => ServiceRedeployer | undefined,
    private readonly outcomes: TriggerOutcomes,
    private readonly limiter: RateLimiter,
    private readonly audit: TriggerAudit,
  ) {}

  /** The new trigger and its token, which is never shown again; `engine` was checked by the caller (its directory). */
  create(target: { container: string } | { service: string }, engine: string): { trigger: Trigger; token: string } {
    const action: Trigger['action'] = 'service' in target ? 'service_update' : 'redeploy';
    const name = 'service' in target ? checkServiceId(target.service) : parseContainerRef(target.container);
    const token = `dkt_${randomBytes(32).toString('base64url')}`;
    const trigger: Trigger = { id: randomUUID(), action, engine, target: name, createdAt: new Date().toISOString() };
    this.store.create(trigger, hashOf(token).toString('hex'));
    return { trigger, token };
  }

  list(): Trigger[] {
    return this.store.list();
  }

  remove(id: string): void {
    if (!this.store.remove(checkUuid(id, 'trigger'))) throw new DomainError('not_found', `no trigger ${id}`);
  }

  /** The trigger a token opens, or not_found; the same work whatever the token. */
  find(token: string): Trigger {
    const want = hashOf(token);
    let found: Trigger | undefined;
    for (const { trigger, tokenHash } of this.store.hashes()) {
      if (tokenHash.length === want.length && timingSafeEqual(tokenHash, want) && !found) found = trigger;
    }
    if (!found) throw NOT_FOUND();
    return found;
  }

  /**
   * Starts the redeploy (pull, then recreate) of the trigger's container, on `tag` of the same repository when given;
   * rate-limited per trigger. The job's outcome is an audit row of its own when it ends.
   */
  async fire(trigger: Trigger, tag: string | undefined, requestId: string | null): Promise<Job> {
    this.limiter.take(trigger.id);
    const by: Principal = { name: `trigger:${trigger.id}`, role: 'operator' };
    const job = await this.start(trigger, tag, by);
    void this.outcomes.wait(job.id).then(
      (ended) =>
        this.audit({
          token: by.name,
          role: null,
          engine: trigger.engine,
          operation: `trigger.${trigger.action}`,
          target: trigger.target,
          outcome: ended.state === 'succeeded' ? 'ok' : 'failed',
          requestId,
        }),
      () => undefined,
    );
    return job;
  }

  private async start(trigger: Trigger, tag: string | undefined, by: Principal): Promise<Job> {
    // An engine removed from the configuration since: the trigger stays (an admin deletes it) and answers 503.
    const gone = () =>
      new DomainError('engine_unavailable', `the trigger's engine "${trigger.engine}" is not configured`, { engine: trigger.engine });
    if (trigger.action === 'service_update') {
      const services = this.serviceRedeployers(trigger.engine);
      if (!services) throw gone();
      return services.redeploy(trigger.target, tag, by.name);
    }
    const redeployer = this.redeployers(trigger.engine);
    if (!redeployer) throw gone();
    return (await redeployer.start(trigger.target, { pull: true, ...(tag !== undefined ? { tag } : {}) }, by)).job;
  }
}
