import type { Delivery, DeliveryKind, DeliveryStatus, StoredDelivery, Webhook, WebhookStore } from '../domain/webhooks/webhook';
import type { Db } from './sqlite/database';
import type { SecretBox } from './sqlite/secret-box';

interface WebhookRow {
  id: string;
  url: string;
  events: string;
  secret: string;
  description: string | null;
  created_at: string;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event: DeliveryKind;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  response_status: number | null;
  last_error: string | null;
  latency_ms: number | null;
  created_at: string;
  updated_at: string;
}

/** Deliveries kept per webhook: older ones are deleted as new ones are written. */
const KEEP_PER_WEBHOOK = 1000;

const webhookOf = (r: WebhookRow): Webhook => ({
  id: r.id,
  url: r.url,
  description: r.description,
  events: JSON.parse(r.events) as Webhook['events'],
  createdAt: r.created_at,
});

const deliveryOf = (r: DeliveryRow): Delivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  kind: r.event,
  status: r.status,
  attempts: r.attempts,
  responseStatus: r.response_status,
  lastError: r.last_error,
  latencyMs: r.latency_ms,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Webhooks (their secrets sealed with DATA_KEY) and their deliveries, in the `webhooks` and `deliveries` tables. */
export class SqliteWebhookStore implements WebhookStore {
  private readonly insertDeliveries;
  private readonly updateStmt;
  private writes = 0;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {
    const insert = db.prepare(
      `INSERT INTO deliveries (id, webhook_id, event, payload, status, attempts, response_status, last_error, latency_ms, created_at, updated_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?)`,
    );
    this.insertDeliveries = db.transaction((ds: readonly StoredDelivery[]) => {
      for (const d of ds) {
        insert.run(
          d.id,
          d.webhookId,
          d.kind,
          d.payload,
          d.status,
          d.attempts,
          d.responseStatus,
          d.lastError,
          d.latencyMs,
          d.createdAt,
          d.updatedAt,
          d.webhookId,
        );
      }
    });
    this.updateStmt = db.prepare(
      'UPDATE deliveries SET status = ?, attempts = ?, response_status = ?, last_error = ?, latency_ms = ?, updated_at = ? WHERE id = ?',
    );
  }

  create(w: Webhook, secret: string): void {
    this.db
      .prepare('INSERT INTO webhooks (id, url, events, secret, description, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(w.id, w.url, JSON.stringify(w.events), this.secrets.seal(secret), w.description, w.createdAt);
  }

  update(w: Webhook, secret?: string): void {
    this.db
      .prepare('UPDATE webhooks SET url = ?, events = ?, description = ? WHERE id = ?')
      .run(w.url, JSON.stringify(w.events), w.description, w.id);
    if (secret !== undefined) this.db.prepare('UPDATE webhooks SET secret = ? WHERE id = ?').run(this.secrets.seal(secret), w.id);
  }

  list(): Webhook[] {
    return (this.db.prepare('SELECT * FROM webhooks ORDER BY created_at, id').all() as WebhookRow[]).map(webhookOf);
  }

  get(id: string): Webhook | undefined {
    const r = this.db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
    return r && webhookOf(r);
  }

  secretOf(id: string): string | undefined {
    const r = this.db.prepare('SELECT secret FROM webhooks WHERE id = ?').get(id) as { secret: string } | undefined;
    return r && this.secrets.open(r.secret);
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes > 0;
  }

  addDeliveries(ds: readonly StoredDelivery[]): void {
    this.insertDeliveries(ds);
    this.writes += ds.length;
    if (this.writes >= 100) {
      this.writes = 0;
      this.db
        .prepare(
          `DELETE FROM deliveries WHERE rowid IN (
             SELECT rowid FROM (SELECT rowid, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY rowid DESC) AS n FROM deliveries) WHERE n > ?)`,
        )
        .run(KEEP_PER_WEBHOOK);
    }
  }

  updateDelivery(d: Delivery): void {
    this.updateStmt.run(d.status, d.attempts, d.responseStatus, d.lastError, d.latencyMs, d.updatedAt, d.id);
  }

  deliveries(webhookId: string, limit: number, before?: string): Delivery[] {
    const rows =
      before === undefined
        ? this.db.prepare('SELECT * FROM deliveries WHERE webhook_id = ? ORDER BY rowid DESC LIMIT ?').all(webhookId, limit)
        : this.db
            .prepare(
              'SELECT * FROM deliveries WHERE webhook_id = ? AND rowid < (SELECT rowid FROM deliveries WHERE id = ?) ORDER BY rowid DESC LIMIT ?',
            )
            .all(webhookId, before, limit);
    return (rows as DeliveryRow[]).map(deliveryOf);
  }

  delivery(webhookId: string, id: string): StoredDelivery | undefined {
    const r = this.db.prepare('SELECT * FROM deliveries WHERE webhook_id = ? AND id = ?').get(webhookId, id) as DeliveryRow | undefined;
    return r && { ...deliveryOf(r), payload: r.payload };
  }

  pendingDeliveries(): StoredDelivery[] {
    const rows = this.db.prepare("SELECT * FROM deliveries WHERE status = 'pending' ORDER BY rowid").all() as DeliveryRow[];
    return rows.map((r) => ({ ...deliveryOf(r), payload: r.payload }));
  }
}
