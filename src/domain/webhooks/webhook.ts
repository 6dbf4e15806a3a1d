import type { EventFilters } from '../events/event-filter';
import type { JobKind } from '../jobs/job';

/** The job outcomes a webhook may ask for: a job's final states. */
export const JOB_OUTCOMES = ['succeeded', 'failed', 'cancelled'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/** What a webhook is told about. Each part absent (or `updateAvailable` false): none of that kind. */
export interface WebhookSubscription {
  /** Engine events, filtered as the `events` channel filters them (`{}`: every engine event). */
  engine?: EventFilters;
  /** Jobs that ended in one of these states (empty or absent states: none), optionally only of these kinds. */
  jobs?: { states: JobOutcome[]; kinds?: JobKind[] };
  /** A registry has a newer image behind a tag in use (the `image` / `update_available` announcement). */
  updateAvailable?: boolean;
}

/** A receiver of signed JSON POSTs. Its secret is write-only: stored sealed, never part of this view. */
export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  events: WebhookSubscription;
  createdAt: string;
}

/** What one delivery is about (the `Dockhand-Event` header and the body's `kind`). */
export type DeliveryKind = 'engine_event' | 'job' | 'update_available';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'dropped';

export interface Delivery {
  id: string;
  webhookId: string;
  kind: DeliveryKind;
  status: DeliveryStatus;
  /** POSTs made so far. */
  attempts: number;
  /** The receiver's HTTP status of the last attempt; null when it never answered. */
  responseStatus: number | null;
  lastError: string | null;
  /** Milliseconds the last attempt took, until the receiver's status line (or the failure). */
  latencyMs: number | null;
  createdAt: string;
  updatedAt: string;
}

/** A delivery with the exact body that is (re)sent. */
export interface StoredDelivery extends Delivery {
  payload: string;
}

/** Where webhooks and their deliveries are kept (the domain's port; src/store holds the SQLite implementation). */
export interface WebhookStore {
  create(w: Webhook, secret: string): void;
  update(w: Webhook, secret?: string): void;
  list(): Webhook[];
  get(id: string): Webhook | undefined;
  secretOf(id: string): string | undefined;
  remove(id: string): boolean;
  addDeliveries(ds: readonly StoredDelivery[]): void;
  updateDelivery(d: Delivery): void;
  /** Newest first, at most `limit`, older than the delivery `before` when given. */
  deliveries(webhookId: string, limit: number, before?: string): Delivery[];
  delivery(webhookId: string, id: string): StoredDelivery | undefined;
  /** Deliveries still pending from a previous run, with their bodies, oldest first. */
  pendingDeliveries(): StoredDelivery[];
}

/** The one outbound transport: a JSON POST that follows no redirect, to a target the policy accepted. */
export interface WebhookSender {
  /** Refuses (policy_denied) a URL whose host is not allowed or resolves to a forbidden address. */
  check(url: string): Promise<void>;
  /** Checks again (DNS included, at connect time) and POSTs; resolves with the status, throws when no answer. */
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number }>;
}
