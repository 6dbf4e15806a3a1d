import type { Logger } from 'pino';
import type { AppServices } from './app';
import type { Config } from './config/config';
import { TokenVerifier } from './domain/auth/tokens';
import { ImageService } from './domain/images/image-service';
import { createDockerClients } from './engine/docker-client';
import { DockerEngineStatus } from './engine/docker-engine-status';
import { DockerImageRepository } from './engine/docker-image-repository';
import { changesFromEvents, containerChanges, EngineWrites } from './engine/change-feed';
import { ReadCache } from './engine/read-cache';
import type { ImageDetails, ImageSummary } from './domain/images/image-repository';
import type { ContainerSummary } from './domain/containers/container';
import { diskUsageGate } from './engine/docker-disk-usage';
import { wireImageAdmin } from './wiring-image-admin';
import { WsTicketStore } from './domain/auth/ws-tickets';
import { StreamBudget } from './domain/limits/stream-budget';
import { RateLimiter } from './domain/limits/rate-limiter';
import { EventsHub } from './domain/events/events-hub';
import { DockerEventSource } from './engine/docker-event-source';
import { buildWsGateway } from './ws/build-gateway';
import type { WsGateway } from './ws/gateway';
import { ContainerCreator } from './domain/containers/container-creator';
import { realPaths } from './host/real-paths';
import { ContainerService } from './domain/containers/container-service';
import { DockerContainerRepository } from './engine/docker-container-repository';
import { DockerContainerStreams } from './engine/docker-container-streams';
import path from 'node:path';
import { ImageTagger } from './domain/images/image-tagger';
import { DEFAULT_JOB_OPTIONS, JobService, systemClock } from './domain/jobs/job-service';
import { RegistryAllowlist } from './domain/registries/registry';
import { RegistryService } from './domain/registries/registry-service';
import { DockerImageTransfer } from './engine/docker-image-transfer';
import { openDatabase } from './store/sqlite/database';
import { SecretBox } from './store/sqlite/secret-box';
import { SqliteRegistryStore } from './store/sqlite-registry-store';
import { SqliteAuditStore } from './store/sqlite-audit-store';
import { AuditTrail } from './domain/audit/audit-trail';
import { auditLogger } from './audit/audit-logger';
import { TerminalService } from './domain/terminal/exec-service';
import type { AuditLog } from './domain/terminal/terminal';
import { DockerTerminal } from './engine/docker-terminal';
import { ServiceMetrics } from './metrics/service-metrics';
import { timeEngineCalls, watchEngineWrites } from './engine/engine-call-timing';
import { UpdateChecker } from './domain/updates/update-checker';
import { RegistryManifestClient } from './engine/registry-manifest-client';
import { DockerDistribution } from './engine/docker-distribution';
import { UpdateService } from './domain/updates/update-service';
import { ContainerUpdates } from './domain/updates/container-updates';
import { ContainerRecreator } from './domain/updates/container-recreator';
import { wireWebhooks } from './wiring-webhooks';

export interface Wired extends AppServices {
  /** The WebSocket endpoint, for startServer's upgrade routing at `/api/v1/ws`. */
  ws: WsGateway;
  /** Stops background work (event streams, job timers) so the process can exit. */
  close(): Promise<void>;
}

/** The composition root: engine adapters → domain services. The only I/O here: opening DATA_DIR/dockhand.db. */
export function wire(config: Config, logger: Logger): Wired {
  const docker = createDockerClients(config.engine, config.engineTimeoutMs);
  // One registry per wired service: tests wire many in one process.
  const metrics = new ServiceMetrics();
  const observeEngine = (c: { method: string; route: string; status: string; seconds: number }) =>
    metrics.engineCallDuration.observe({ method: c.method, route: c.route, status: c.status }, c.seconds);
  timeEngineCalls(docker.api, observeEngine);
  timeEngineCalls(docker.streaming, observeEngine);
  // The service's own writes to the engine count as changes for every read cache, from their start to their end.
  const writes = new EngineWrites();
  watchEngineWrites(docker.api, () => writes.changed());
  watchEngineWrites(docker.streaming, () => writes.changed());
  const engine = new DockerEngineStatus(docker.api, config.engineTimeoutMs);
  const verifier = new TokenVerifier(config.tokens);
  // One engine /events connection for the whole service, opened on first use, stopped by close().
  const events = new EventsHub(new DockerEventSource(docker.api, docker.streaming, config.engineTimeoutMs), logger, {
    idleCheckMs: config.eventsWatchdogMs,
  });
  const wsTickets = new WsTicketStore({ perToken: config.wsTickets.perToken, perMinute: config.wsTickets.perMinute });
  // One log budget for REST tails and WebSocket follows; one stream budget across every WebSocket connection.
  const logTails = new RateLimiter('log_tails', config.rateLimits.logTailsPerMinute);
  const streams = new StreamBudget(config.streams.perToken, config.streams.global);
  // Every /system/df of the service goes through one gate (the engine refuses a second one at once); image lists
  // reuse its result until the event stream reports an image or container change.
  const imageChanges = () => writes.and(changesFromEvents(events));
  const diskUsage = diskUsageGate(docker.streaming, config.engineTimeoutMs, imageChanges());
  // Image and container reads are answered again until a change is seen (src/engine/read-cache.ts): at most 5 s;
  // container lists at most 1 s, for their `status` text ("Up 3 seconds") changes with time alone.
  // At most 16 lists (one per filter set: a list of 1,000 containers is ~2 MB held) and 1,000 inspects.
  const readCaches = {
    image_list: new ReadCache<ImageSummary[]>(imageChanges(), { maxAgeMs: 5000, maxEntries: 16 }),
    image_inspect: new ReadCache<ImageDetails>(imageChanges(), { maxAgeMs: 5000, maxEntries: 1000 }),
    container_list: new ReadCache<ContainerSummary[]>(writes.and(changesFromEvents(events, containerChanges)), { maxAgeMs: 1000, maxEntries: 16 }),
  };
  const imageRepository = new DockerImageRepository(docker.api, config.engineTimeoutMs, diskUsage, {
    list: readCaches.image_list,
    inspect: readCaches.image_inspect,
  });
  const images = new ImageService(imageRepository);
  // Pulls and pushes: the engine resolves the manifest before its first byte, so it gets longer than a plain call.
  const transfer = new DockerImageTransfer(docker.api, docker.streaming, config.engineTimeoutMs, Math.max(60_000, config.engineTimeoutMs));
  const allowlist = new RegistryAllowlist(config.allowedRegistries);
  // Dockhand's own state: one SQLite file (WAL, 0600); the registries.json of older versions is imported once.
  const db = openDatabase(path.join(config.dataDir, 'dockhand.db'));
  const secrets = new SecretBox(config.dataKey);
  const registryStore = new SqliteRegistryStore(db, secrets);
  registryStore.importLegacyFile(path.join(config.dataDir, 'registries.json'));
  const auditTrail = new AuditTrail(new SqliteAuditStore(db), auditLogger(logger), {
    retentionDays: config.auditRetentionDays,
    onError: (err) => logger.error({ err }, 'audit rows could not be written'),
  });
  const jobs = new JobService(
    transfer,
    registryStore,
    allowlist,
    systemClock,
    { ...DEFAULT_JOB_OPTIONS, stallTimeoutMs: config.pullStallTimeoutMs },
    (err) => logger.error({ err }, 'job listener failed'),
  );
  const containerRepository = new DockerContainerRepository(
    docker.api,
    { timeoutMs: config.engineTimeoutMs, probeLocalPorts: config.engine.kind === 'socket', waiting: docker.streaming },
    readCaches.container_list,
  );
  const containerCreator = new ContainerCreator(containerRepository, jobs, {
    policy: { ...config.createPolicy, bindRoots: config.allowedBindPaths },
    allowlist,
    hostPaths: realPaths,
    // A retried create within a day answers the first answer; at most 1000 keys are remembered.
    idempotency: { ttlMs: 24 * 3600_000, maxEntries: 1000 },
  });
  const containerStreams = new DockerContainerStreams(docker.streaming, config.engineTimeoutMs);
  // Exec and attach are root in a container: every one is a structured audit line (`log: "audit"`, as the REST trail).
  const terminalAudit = logger.child({ log: 'audit' });
  const audit: AuditLog = (event, fields) => terminalAudit.info({ operation: event, ...fields }, 'audit');
  const terminals = new TerminalService(new DockerTerminal(docker.api, docker.streaming, config.engineTimeoutMs), audit);
  const updates = new UpdateChecker(
    {
      images: imageRepository,
      registry: new RegistryManifestClient(Math.min(10_000, Math.max(2000, config.engineTimeoutMs))),
      engine: new DockerDistribution(docker.api, Math.max(15_000, config.engineTimeoutMs)),
      allowlist,
      store: registryStore,
      now: () => Date.now(),
      observe: (registry, via, outcome) => metrics.registryLookups.inc({ registry, via, outcome }),
      // A pull or tag of a reference forgets what the registry said about it (the engine's events, seen lazily).
      watch: (forget) => {
        events.subscribe({ type: ['image'], action: ['pull', 'tag', 'untag', 'delete'] }, undefined, (e) => {
          forget(e.event.actorId);
          if (e.event.attributes.name) forget(e.event.attributes.name);
        });
      },
    },
    { ttlMs: config.updates.cacheTtlMs, lookupTimeoutMs: 30_000 },
  );
  // A registry that has a newer image behind a tag is announced once per new digest on the `events` channel.
  updates.onOutdated((u) =>
    events.announce({
      type: 'image',
      action: 'update_available',
      actorId: u.reference,
      attributes: { name: u.reference, imageId: u.imageId ?? '', localDigest: u.localDigests[0] ?? '', remoteDigest: u.remote?.digest ?? '' },
    }),
  );
  const updateService = new UpdateService(updates, containerRepository, jobs);
  updateService.startBackground(config.updates.checkIntervalMs, (err) => logger.warn({ err }, 'background update check did not start'));
  const wired = {
    logger,
    verifier,
    engine,
    metrics,
    rateLimits: config.rateLimits,
    logTails,
    images,
    imageAdmin: wireImageAdmin(docker, config.engineTimeoutMs, diskUsage, allowlist, registryStore),
    containers: new ContainerService(containerRepository),
    containerCreator,
    containerStreams,
    jobs,
    imagePuller: jobs,
    registries: new RegistryService(registryStore, allowlist),
    imageTagger: new ImageTagger(transfer, imageRepository),
    events,
    wsTickets,
    terminals,
    updates,
    updateService,
    containerUpdates: new ContainerUpdates(updates, imageRepository, containerRepository),
    // Both container ids of every recreate (replaced or rolled back) are an audit line.
    recreator: new ContainerRecreator(
      containerRepository,
      containerRepository,
      jobs,
      jobs,
      (event, fields) => terminalAudit.info({ operation: event, ...fields }, 'audit'),
      {
        settleMs: config.updates.recreateSettleMs,
        healthTimeoutMs: 60_000,
        pollMs: 250,
        // The engine answers a stop only after the grace period: it must end inside the call's budget (engine timeout).
        stopGraceSeconds: Math.max(1, Math.floor(config.engineTimeoutMs / 1000) - 2),
        idempotency: { ttlMs: 24 * 3600_000, maxEntries: 1000 },
      },
    ),
    audit: auditTrail,
    ws: buildWsGateway(
      {
        logger,
        verifier,
        tickets: wsTickets,
        events,
        jobs,
        containerStreams,
        terminalSessions: { terminals, idleTimeoutMs: config.execIdleTimeoutMs, audit },
        allowedOrigins: [...config.allowedOrigins, ...config.selfOrigins],
        streams,
        logTails,
        audit: auditTrail,
      },
      { maxConnectionsPerToken: config.rateLimits.wsConnectionsPerToken },
    ),
    close: async () => {
      updateService.close();
      await events.close();
      await jobs.close();
      auditTrail.close();
      db.close();
    },
  };
  metrics.observe({ jobs: () => jobs.list(), events, ws: wired.ws, readCaches });
  const hooks = wireWebhooks(config, logger, { db, secrets, events, jobs, recreator: wired.recreator, audit: auditTrail, metrics });
  return { ...wired, ...hooks.services, close: async () => (hooks.close(), wired.close()) };
}
