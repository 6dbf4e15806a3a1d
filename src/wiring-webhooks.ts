import type { Logger } from 'pino';
import type { Config } from './config/config';
import type { AuditTrail } from './domain/audit/audit-trail';
import type { EventsHub } from './domain/events/events-hub';
import type { LoggedEvent } from './domain/events/event-log';
import type { JobService } from './domain/jobs/job-service';
import { RateLimiter } from './domain/limits/rate-limiter';
import { TriggerService } from './domain/triggers/trigger-service';
import type { ServiceChanges } from './domain/swarm/service-changes';
import type { ContainerRecreator } from './domain/updates/container-recreator';
import { WebhookTargetPolicy } from './domain/webhooks/target-policy';
import { WebhookDispatcher } from './domain/webhooks/webhook-dispatcher';
import { isUpdateAnnouncement, wantsEngineEvent, wantsJob, WebhookService } from './domain/webhooks/webhook-service';
import type { ServiceMetrics } from './metrics/service-metrics';
import { HttpWebhookSender } from './outbound/http-webhook-sender';
import type { Db } from './store/sqlite/database';
import type { SecretBox } from './store/sqlite/secret-box';
import { SqliteTriggerStore } from './store/sqlite-trigger-store';
import { SqliteWebhookStore } from './store/sqlite-webhook-store';

export interface WebhookServices {
  /** Outbound webhooks (admin): engine events, job outcomes and update announcements as signed POSTs. */
  webhooks: WebhookService;
  /** Inbound triggers: a token URL that redeploys a container. */
  triggers: TriggerService;
}

export interface WebhookParts {
  db: Db;
  secrets: SecretBox;
  events: EventsHub;
  jobs: JobService;
  /** Each engine's recreator, by engine name. */
  recreators: (engine: string) => ContainerRecreator | undefined;
  /** Each engine's swarm service changes, by engine name. */
  serviceChanges: (engine: string) => ServiceChanges | undefined;
  audit: AuditTrail;
  metrics: ServiceMetrics;
}

/**
 * Webhooks out and triggers in. The engine event stream is subscribed to only while a webhook exists (the hub opens
 * its engine connection on first use); job outcomes come from the job service's end listeners.
 */
export function wireWebhooks(config: Config, logger: Logger, p: WebhookParts): { services: WebhookServices; close(): void } {
  const tcpEngines = config.engines.flatMap((e) => (e.endpoint.kind === 'tcp' ? [{ host: e.endpoint.host, port: e.endpoint.port }] : []));
  const sender = new HttpWebhookSender(new WebhookTargetPolicy(config.webhooks.allowedHosts, tcpEngines));
  const store = new SqliteWebhookStore(p.db, p.secrets);
  const dispatcher = new WebhookDispatcher(
    store,
    sender,
    {
      queueSize: config.webhooks.queueSize,
      attemptTimeoutMs: config.webhooks.timeoutMs,
      retryForMs: config.webhooks.retryForMs,
      baseDelayMs: config.webhooks.retryBaseMs,
      maxDelayMs: Math.max(config.webhooks.retryBaseMs, 60_000),
    },
    {
      dropped: () => p.metrics.webhookDeliveries.inc({ outcome: 'dropped' }),
      ended: (outcome) => p.metrics.webhookDeliveries.inc({ outcome }),
    },
    (err) => logger.warn({ err }, 'webhook delivery'),
  );
  let unsubscribe: (() => void) | undefined;
  const webhooks: WebhookService = new WebhookService(store, sender, dispatcher, () => follow());
  function follow(): void {
    const wanted = webhooks.list().some((w) => w.events.engine !== undefined || w.events.updateAvailable === true);
    if (wanted && !unsubscribe) {
      const listener = (e: LoggedEvent) =>
        dispatcher.publish(isUpdateAnnouncement(e.event) ? 'update_available' : 'engine_event', e.event, (w) => wantsEngineEvent(w, e.event));
      unsubscribe = p.events.subscribe({}, undefined, listener).unsubscribe;
    } else if (!wanted && unsubscribe) {
      unsubscribe();
      unsubscribe = undefined;
    }
  }
  follow();

  const stopJobs = p.jobs.onEnded((job) => dispatcher.publish('job', job, (w) => wantsJob(w, job)));

  const triggers = new TriggerService(
    new SqliteTriggerStore(p.db),
    p.recreators,
    p.serviceChanges,
    p.jobs,
    new RateLimiter('trigger_calls', config.webhooks.triggerCallsPerMinute),
    (entry) => p.audit.record(entry),
  );
  return {
    services: { webhooks, triggers },
    close: () => {
      unsubscribe?.();
      stopJobs();
      dispatcher.close();
    },
  };
}
