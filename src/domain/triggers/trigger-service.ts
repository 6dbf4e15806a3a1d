import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AuditEntry } from '../audit/audit-record';
import type { Principal } from '../auth/tokens';
import { parseContainerRef } from '../containers/container-ref';
import { DomainError } from '../errors';
import { checkUuid } from '../ids';
import type { Job } from '../jobs/job';
import type { RateLimiter } from '../limits/rate-limiter';
import type { Trigger, TriggerStore } from './trigger';

/** What a trigger starts: the recreate job of src/domain/updates/container-recreator.ts. */
export interface Redeployer {
  start(ref: string, body: { pull?: boolean; tag?: string }, by: Principal): Promise<{ job: Job }>;
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
    private readonly outcomes: TriggerOutcomes,
    private readonly limiter: RateLimiter,
    private readonly audit: TriggerAudit,
  ) {}

  /** The new trigger and its token, which is never shown again; `engine` was checked by the caller (its directory). */
  create(container: string, engine: string): { trigger: Trigger; token: string } {
    const target = parseContainerRef(container);
    const token = `dkt_${randomBytes(32).toString('base64url')}`;
    const trigger: Trigger = { id: randomUUID(), action: 'redeploy', engine, target, createdAt: new Date().toISOString() };
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
    const redeployer = this.redeployers(trigger.engine);
    // An engine removed from the configuration since: the trigger stays (an admin deletes it) and answers 503.
    if (!redeployer)
      throw new DomainError('engine_unavailable', `the trigger's engine "${trigger.engine}" is not configured`, { engine: trigger.engine });
    const { job } = await redeployer.start(trigger.target, { pull: true, ...(tag !== undefined ? { tag } : {}) }, by);
    void this.outcomes.wait(job.id).then(
      (ended) =>
        this.audit({
          token: by.name,
          role: null,
          engine: trigger.engine,
          operation: 'trigger.redeploy',
          target: trigger.target,
          outcome: ended.state === 'succeeded' ? 'ok' : 'failed',
          requestId,
        }),
      () => undefined,
    );
    return job;
  }
}
