import { randomUUID } from 'node:crypto';
import type { EngineEvent } from '../events/engine-event';
import { matchesFilters } from '../events/event-filter';
import { DomainError } from '../errors';
import { checkUuid } from '../ids';
import type { Job } from '../jobs/job';
import type { Delivery, Webhook, WebhookSender, WebhookStore, WebhookSubscription } from './webhook';
import type { WebhookDispatcher } from './webhook-dispatcher';

export interface WebhookInput {
  url: string;
  secret: string;
  description?: string | null;
  events: WebhookSubscription;
}

export const isUpdateAnnouncement = (e: EngineEvent): boolean => e.type === 'image' && e.action === 'update_available';

/** Engine events as the `events` channel filters them; update announcements only through `updateAvailable`. */
export const wantsEngineEvent = (w: Webhook, e: EngineEvent): boolean =>
  isUpdateAnnouncement(e) ? w.events.updateAvailable === true : w.events.engine !== undefined && matchesFilters(e, w.events.engine);

export const wantsJob = (w: Webhook, job: Job): boolean => {
  const jobs = w.events.jobs;
  if (!jobs || !(jobs.states as string[]).includes(job.state)) return false;
  return !jobs.kinds || jobs.kinds.length === 0 || jobs.kinds.includes(job.kind);
};

function checkSubscription(s: WebhookSubscription): void {
  const any = s.engine !== undefined || (s.jobs?.states.length ?? 0) > 0 || s.updateAvailable === true;
  if (!any) throw new DomainError('invalid_request', 'events must ask for engine events, job outcomes or updateAvailable');
}

function checkSecret(secret: string): void {
  if (secret.length < 16) throw new DomainError('invalid_request', 'secret must be at least 16 characters');
}

/** Webhooks (admin): where they point is checked against the target policy at create and change, and at every send. */
export class WebhookService {
  constructor(
    private readonly store: WebhookStore,
    private readonly sender: WebhookSender,
    private readonly dispatcher: WebhookDispatcher,
    /** Told after every create, change or removal (the composition root follows the engine events only while needed). */
    private readonly onChange: () => void = () => undefined,
  ) {}

  list(): Webhook[] {
    return this.store.list();
  }

  get(id: string): Webhook {
    const w = this.store.get(checkUuid(id, 'webhook'));
    if (!w) throw new DomainError('not_found', `no webhook ${id}`);
    return w;
  }

  async create(input: WebhookInput): Promise<Webhook> {
    checkSubscription(input.events);
    checkSecret(input.secret);
    await this.sender.check(input.url);
    const w: Webhook = {
      id: randomUUID(),
      url: input.url,
      description: input.description ?? null,
      events: input.events,
      createdAt: new Date().toISOString(),
    };
    this.store.create(w, input.secret);
    this.dispatcher.changed(w.id, w);
    this.onChange();
    return w;
  }

  async update(id: string, patch: Partial<WebhookInput>): Promise<Webhook> {
    const old = this.get(id);
    const w: Webhook = {
      ...old,
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.events !== undefined ? { events: patch.events } : {}),
    };
    checkSubscription(w.events);
    if (patch.secret !== undefined) checkSecret(patch.secret);
    if (patch.url !== undefined) await this.sender.check(w.url);
    this.store.update(w, patch.secret);
    this.dispatcher.changed(w.id, w);
    this.onChange();
    return w;
  }

  remove(id: string): void {
    const w = this.get(id);
    this.store.remove(w.id);
    this.dispatcher.changed(w.id, undefined);
    this.onChange();
  }

  deliveries(id: string, limit: number, before?: string): Delivery[] {
    const w = this.get(id);
    return this.store.deliveries(w.id, limit, before === undefined ? undefined : checkUuid(before, 'delivery'));
  }

  redeliver(id: string, deliveryId: string): Delivery {
    const w = this.get(id);
    const d = this.store.delivery(w.id, checkUuid(deliveryId, 'delivery'));
    if (!d) throw new DomainError('not_found', `webhook ${w.id} has no delivery ${deliveryId}`);
    return this.dispatcher.redeliver(w.id, d);
  }
}
