import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Job } from '../domain/jobs/job';

/** What the metrics read at scrape time from the parts that count for themselves (no hot-path coupling). */
export interface MetricsSources {
  jobs?: () => readonly Job[];
  events?: { readonly connected: boolean; readonly stats: { readonly reconnects: number; readonly fannedOut: number } };
  ws?: { readonly connectionCount: number; readonly stats: { readonly opened: number; readonly framesSent: number; readonly refused: number } };
  /** The engine read caches, by engine, then by name (image_inspect, image_list, container_list). */
  readCaches?: Record<string, Record<string, { readonly stats: { readonly hits: number; readonly misses: number } }>>;
  /** Each engine's state, probed at scrape time (bounded and cached by the engine monitor). */
  engines?: () => Promise<{ name: string; up: boolean }[]>;
}

/** Sets a counter fed by a source's own running total (read at scrape time). */
const fromTotal = (c: Counter, v: number | undefined): void => {
  c.reset();
  if (v !== undefined && v > 0) c.inc(v);
};

/**
 * The service's Prometheus metrics, in a registry of its own: tests build many apps in one process, and the global
 * default registry would mix them (and refuse a second registration). Labels are bounded: routes are the contract's
 * route templates, engine routes are templates too, statuses are numbers.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly engineCallDuration: Histogram<'engine' | 'method' | 'route' | 'status'>;
  readonly rateLimited: Counter<'limit'>;
  readonly registryLookups: Counter<'registry' | 'via' | 'outcome'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  private sources: MetricsSources = {};

  constructor() {
    const registers = [this.registry];
    this.httpDuration = new Histogram({
      name: 'dockhand_http_request_duration_seconds',
      help: 'HTTP requests by contract route (unmatched requests: "unmatched"), method and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.engineCallDuration = new Histogram({
      name: 'dockhand_engine_call_duration_seconds',
      help: 'Docker engine API calls until the answer (for streams: until the stream opened), by engine, method, route template and status.',
      labelNames: ['engine', 'method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'dockhand_rate_limited_total',
      help: 'Requests refused with 429, by limit.',
      labelNames: ['limit'],
      registers,
    });
    this.registryLookups = new Counter({
      name: 'dockhand_registry_update_lookups_total',
      help: 'Update checks that asked a registry, by registry (allowlisted hosts only), way (registry HEAD or engine distribution inspect) and outcome.',
      labelNames: ['registry', 'via', 'outcome'],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'dockhand_webhook_deliveries_total',
      help: 'Webhook deliveries that ended, by outcome: succeeded, failed (after its retries) or dropped (its webhook had a full queue).',
      labelNames: ['outcome'],
      registers,
    });

    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new Gauge({
      name: 'dockhand_jobs',
      help: 'Pull and push jobs held (running and recently finished), by kind and state.',
      labelNames: ['kind', 'state'],
      registers,
      collect() {
        this.reset();
        for (const kind of ['pull', 'push'] as const) {
          for (const state of ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const) this.set({ kind, state }, 0);
        }
        for (const j of self.sources.jobs?.() ?? []) this.inc({ kind: j.kind, state: j.state });
      },
    });
    new Gauge({
      name: 'dockhand_ws_connections',
      help: 'WebSocket connections open now.',
      registers,
      collect() {
        this.set(self.sources.ws?.connectionCount ?? 0);
      },
    });
    const wsCounter = (name: string, help: string, read: (s: NonNullable<MetricsSources['ws']>['stats']) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          fromTotal(this, self.sources.ws ? read(self.sources.ws.stats) : 0);
        },
      });
    wsCounter('dockhand_ws_connections_opened_total', 'WebSocket connections accepted.', (s) => s.opened);
    wsCounter('dockhand_ws_connections_refused_total', 'WebSocket upgrades refused (credentials, origin, per-token cap).', (s) => s.refused);
    wsCounter('dockhand_ws_frames_sent_total', 'WebSocket frames sent to clients.', (s) => s.framesSent);
    new Gauge({
      name: 'dockhand_engine_event_stream_connected',
      help: "1 while the default engine's /events stream is connected and reconciled.",
      registers,
      collect() {
        this.set(self.sources.events?.connected ? 1 : 0);
      },
    });
    new Counter({
      name: 'dockhand_engine_event_stream_reconnects_total',
      help: 'Times the engine /events stream came back after it was lost.',
      registers,
      collect() {
        fromTotal(this, self.sources.events?.stats.reconnects);
      },
    });
    new Counter({
      name: 'dockhand_read_cache_reads_total',
      help: 'Engine reads (image inspect and list, container list) by engine and cache: answered again ("hit") or asked of the engine ("miss").',
      labelNames: ['engine', 'cache', 'result'],
      registers,
      collect() {
        this.reset();
        for (const [engine, caches] of Object.entries(self.sources.readCaches ?? {})) {
          for (const [cache, { stats }] of Object.entries(caches)) {
            if (stats.hits > 0) this.inc({ engine, cache, result: 'hit' }, stats.hits);
            if (stats.misses > 0) this.inc({ engine, cache, result: 'miss' }, stats.misses);
          }
        }
      },
    });
    new Gauge({
      name: 'dockhand_engine_up',
      help: '1 when the engine answered its last probe (version and info within the probe timeout), by engine.',
      labelNames: ['engine'],
      registers,
      async collect() {
        this.reset();
        for (const e of (await self.sources.engines?.()) ?? []) this.set({ engine: e.name }, e.up ? 1 : 0);
      },
    });
    new Counter({
      name: 'dockhand_events_fanned_out_total',
      help: 'Engine events delivered to subscribers (one per matching subscriber).',
      registers,
      collect() {
        fromTotal(this, self.sources.events?.stats.fannedOut);
      },
    });
  }

  /** Attaches the parts that count for themselves; called once by the composition root. */
  observe(sources: MetricsSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
