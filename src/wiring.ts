import type { Logger } from 'pino';
import path from 'node:path';
import type { AppServices, EngineScope } from './app';
import type { Config } from './config/config';
import { TokenVerifier } from './domain/auth/tokens';
import { WsTicketStore } from './domain/auth/ws-tickets';
import { StreamBudget } from './domain/limits/stream-budget';
import { RateLimiter } from './domain/limits/rate-limiter';
import { EventsHub } from './domain/events/events-hub';
import { buildWsGateway } from './ws/build-gateway';
import type { WsGateway } from './ws/gateway';
import { DEFAULT_JOB_OPTIONS, JobService, systemClock } from './domain/jobs/job-service';
import { RegistryAllowlist } from './domain/registries/registry';
import { RegistryService } from './domain/registries/registry-service';
import { openDatabase } from './store/sqlite/database';
import { MIGRATIONS } from './store/sqlite/migrations';
import { SecretBox } from './store/sqlite/secret-box';
import { SqliteRegistryStore } from './store/sqlite-registry-store';
import { SqliteAuditStore } from './store/sqlite-audit-store';
import { AuditTrail } from './domain/audit/audit-trail';
import { auditLogger } from './audit/audit-logger';
import { ServiceMetrics } from './metrics/service-metrics';
import { EngineDirectory } from './domain/engines/engine-directory';
import { EngineMonitor } from './domain/engines/engine-monitor';
import { engineAdapters, wireEngine, type WiredEngine } from './wiring-engine';
import { wireWebhooks } from './wiring-webhooks';

export interface Wired extends AppServices {
  /** The WebSocket endpoint, for startServer's upgrade routing at `/api/v1/ws`. */
  ws: WsGateway;
  /** Stops background work (event streams, job timers) so the process can exit. */
  close(): Promise<void>;
}

/**
 * The composition root. Service-wide pieces are made once (tokens, budgets, the database, the audit trail, the jobs
 * service, the events hub over every engine); then each configured engine gets its own adapters and services — its
 * scope (src/wiring-engine.ts) — and the engine directory names them. The `/api/v1/…` paths use the `default` scope,
 * `/api/v1/engines/{engine}/…` the named one. The only I/O here: opening DATA_DIR/dockhand.db.
 */
export function wire(config: Config, logger: Logger): Wired {
  // One registry per wired service: tests wire many in one process.
  const metrics = new ServiceMetrics();
  const verifier = new TokenVerifier(config.tokens);
  const adapters = config.engines.map((e) => engineAdapters(e, metrics));
  // One /events connection per engine, fanned in to one numbered sequence; opened on first use, stopped by close().
  const events = new EventsHub(
    adapters.map((a) => ({ engine: a.config.name, source: a.events })),
    logger,
    { idleCheckMs: config.eventsWatchdogMs },
  );
  const wsTickets = new WsTicketStore({ perToken: config.wsTickets.perToken, perMinute: config.wsTickets.perMinute });
  // One log budget for REST tails and WebSocket follows; one stream budget across every WebSocket connection.
  const logTails = new RateLimiter('log_tails', config.rateLimits.logTailsPerMinute);
  const streams = new StreamBudget(config.streams.perToken, config.streams.global);
  const allowlist = new RegistryAllowlist(config.allowedRegistries);
  // Dockhand's own state: one SQLite file (WAL, 0600); the registries.json of older versions is imported once.
  const db = openDatabase(path.join(config.dataDir, 'dockhand.db'));
  const secrets = new SecretBox(config.dataKey);
  const registryStore = new SqliteRegistryStore(db, secrets);
  registryStore.importLegacyFile(path.join(config.dataDir, 'registries.json'));
  // Audit rows on a connection of their own at synchronous=NORMAL: no fsync on the mutating call's path (the rows are
  // written after its answer, in the same event-loop turn as the next request); a process crash loses none (tested),
  // a power cut may lose the last ones. Logins, webhooks and triggers stay FULL.
  const auditDb = openDatabase(path.join(config.dataDir, 'dockhand.db'), MIGRATIONS, { synchronous: 'NORMAL' });
  const auditTrail = new AuditTrail(new SqliteAuditStore(auditDb), auditLogger(logger), {
    retentionDays: config.auditRetentionDays,
    onError: (err) => logger.error({ err }, 'audit rows could not be written'),
  });
  const jobs = new JobService(
    new Map(adapters.map((a) => [a.config.name, a.transfer])),
    registryStore,
    allowlist,
    systemClock,
    { ...DEFAULT_JOB_OPTIONS, stallTimeoutMs: config.pullStallTimeoutMs },
    (err) => logger.error({ err }, 'job listener failed'),
  );
  // Exec, attach and recreate are root in a container: every one is a structured audit line (`log: "audit"`, as the REST trail).
  const terminalAudit = logger.child({ log: 'audit' });
  const audit = (event: string, fields: Record<string, unknown>) => terminalAudit.info({ operation: event, ...fields }, 'audit');
  const shared = { config, logger, metrics, events, jobs, allowlist, registryStore, audit };
  const wiredEngines = new Map<string, WiredEngine>(adapters.map((a) => [a.config.name, wireEngine(a, shared)]));
  const engines = new EngineDirectory<EngineScope>(new Map([...wiredEngines].map(([n, w]) => [n, w.scope])));
  const monitor = new EngineMonitor(
    config.engines.map((e) => ({ name: e.name, status: engines.get(e.name, {}).engine, required: e.required, labels: e.labels })),
    { probeTimeoutMs: Math.min(2000, config.engineTimeoutMs) },
  );
  const main = engines.get('default', {});
  const wired = {
    logger,
    verifier,
    metrics,
    rateLimits: config.rateLimits,
    engineTimeouts: new Map(config.engines.map((e) => [e.name, e.timeoutMs])),
    logTails,
    engines,
    monitor,
    // The `default` engine's services, as the `/api/v1/…` paths use them.
    engine: main.engine,
    images: main.images,
    imageAdmin: main.imageAdmin,
    containers: main.containers,
    containerCreator: main.containerCreator,
    containerStreams: main.containerStreams,
    imageTagger: main.imageTagger,
    terminals: main.terminals,
    updates: main.updates,
    updateService: main.updateService,
    containerUpdates: main.containerUpdates,
    recreator: main.recreator,
    jobs,
    imagePuller: main.jobs,
    registries: new RegistryService(registryStore, allowlist),
    events,
    wsTickets,
    audit: auditTrail,
    ws: buildWsGateway(
      {
        logger,
        verifier,
        tickets: wsTickets,
        events,
        engines,
        jobs,
        containerStreams: main.containerStreams,
        terminalSessions: { terminals: main.terminals, idleTimeoutMs: config.execIdleTimeoutMs, audit },
        allowedOrigins: [...config.allowedOrigins, ...config.selfOrigins],
        streams,
        logTails,
        audit: auditTrail,
      },
      { maxConnectionsPerToken: config.rateLimits.wsConnectionsPerToken },
    ),
    close: async () => {
      for (const w of wiredEngines.values()) w.close();
      await events.close();
      await jobs.close();
      auditTrail.close();
      auditDb.close();
      db.close();
    },
  };
  metrics.observe({
    jobs: () => jobs.list(),
    events,
    ws: wired.ws,
    readCaches: Object.fromEntries([...wiredEngines].map(([n, w]) => [n, w.readCaches])),
    engines: async () => (await monitor.reports(engines.names())).map((r) => ({ name: r.name, up: r.status === 'up' })),
  });
  const hooks = wireWebhooks(config, logger, {
    db,
    secrets,
    events,
    jobs,
    recreators: (name) => wiredEngines.get(name)?.scope.recreator,
    serviceChanges: (name) => wiredEngines.get(name)?.scope.swarmChanges,
    audit: auditTrail,
    metrics,
  });
  return { ...wired, ...hooks.services, close: async () => (hooks.close(), wired.close()) };
}
