import type { Logger } from 'pino';
import type { Config, EngineConfig } from './config/config';
import { ImageService } from './domain/images/image-service';
import { createDockerClients, type DockerClients } from './engine/docker-client';
import { DockerEngineStatus } from './engine/docker-engine-status';
import { DockerImageRepository } from './engine/docker-image-repository';
import { changesFromEvents, containerChanges, EngineWrites } from './engine/change-feed';
import { ReadCache } from './engine/read-cache';
import type { ImageDetails, ImageSummary } from './domain/images/image-repository';
import type { ContainerSummary } from './domain/containers/container';
import { diskUsageGate } from './engine/docker-disk-usage';
import { wireImageAdmin } from './wiring-image-admin';
import type { EventsHub } from './domain/events/events-hub';
import { DockerEventSource } from './engine/docker-event-source';
import { ContainerCreator } from './domain/containers/container-creator';
import { realPaths } from './host/real-paths';
import { ContainerService } from './domain/containers/container-service';
import { DockerContainerRepository } from './engine/docker-container-repository';
import { DockerContainerStreams } from './engine/docker-container-streams';
import { ImageTagger } from './domain/images/image-tagger';
import type { JobService } from './domain/jobs/job-service';
import type { RegistryAllowlist, RegistryStore } from './domain/registries/registry';
import { DockerImageTransfer } from './engine/docker-image-transfer';
import { TerminalService } from './domain/terminal/exec-service';
import { DockerTerminal } from './engine/docker-terminal';
import type { ServiceMetrics } from './metrics/service-metrics';
import { timeEngineCalls, watchEngineWrites } from './engine/engine-call-timing';
import { UpdateChecker } from './domain/updates/update-checker';
import { RegistryManifestClient } from './engine/registry-manifest-client';
import { DockerDistribution } from './engine/docker-distribution';
import { UpdateService } from './domain/updates/update-service';
import { ContainerUpdates } from './domain/updates/container-updates';
import { ContainerRecreator } from './domain/updates/container-recreator';
import type { EngineScope } from './app';
import type { EventSource } from './domain/events/engine-event';
import type { ImageTransfer } from './domain/images/image-transfer';
import { SwarmService } from './domain/swarm/swarm-service';
import { DockerSwarm } from './engine/docker-swarm';
import { ImagePinner, ServiceCreator } from './domain/swarm/service-create';
import { ServiceChanges, type ServiceWatch } from './domain/swarm/service-changes';

/** One engine's adapters, made before the services: the events hub and the jobs service take every engine's. */
export interface EngineAdapters {
  config: EngineConfig;
  docker: DockerClients;
  /** The service's own writes to this engine count as changes for its read caches, from their start to their end. */
  writes: EngineWrites;
  events: EventSource;
  transfer: ImageTransfer;
}

export function engineAdapters(engine: EngineConfig, metrics: ServiceMetrics): EngineAdapters {
  const docker = createDockerClients(engine.endpoint, engine.timeoutMs);
  const observe = (c: { method: string; route: string; status: string; seconds: number }) =>
    metrics.engineCallDuration.observe({ engine: engine.name, method: c.method, route: c.route, status: c.status }, c.seconds);
  timeEngineCalls(docker.api, observe);
  timeEngineCalls(docker.streaming, observe);
  const writes = new EngineWrites();
  watchEngineWrites(docker.api, () => writes.changed());
  watchEngineWrites(docker.streaming, () => writes.changed());
  return {
    config: engine,
    docker,
    writes,
    events: new DockerEventSource(docker.api, docker.streaming, engine.timeoutMs),
    // Pulls and pushes: the engine resolves the manifest before its first byte, so it gets longer than a plain call.
    transfer: new DockerImageTransfer(docker.api, docker.streaming, engine.timeoutMs, Math.max(60_000, engine.timeoutMs)),
  };
}

/** What every engine's services share: the service-wide pieces made once by the composition root. */
export interface SharedServices {
  config: Config;
  logger: Logger;
  metrics: ServiceMetrics;
  events: EventsHub;
  jobs: JobService;
  allowlist: RegistryAllowlist;
  registryStore: RegistryStore;
  /** Exec, attach and recreate: structured audit lines. */
  audit: (event: string, fields: Record<string, unknown>) => void;
}

/** A wired engine: its scope, its read caches (for metrics), and how to stop its background work. */
export interface WiredEngine {
  scope: EngineScope;
  readCaches: Record<string, ReadCache<unknown>>;
  close(): void;
}

/**
 * What may move a swarm service: its `service` events, and its tasks' container events on whichever registered
 * engine runs them (the label the engine puts on every task container). Service events are taken from any engine:
 * with two managers of one swarm registered, the hub delivers each swarm event once, under whichever manager
 * reported it first (src/domain/events/cluster-dedupe.ts), and a service id belongs to one swarm.
 */
function serviceWatch(hub: EventsHub): ServiceWatch {
  return {
    watch(serviceId, onChange) {
      const service = hub.subscribe({ type: ['service'] }, undefined, (e) => {
        if (e.event.actorId === serviceId) onChange();
      });
      const tasks = hub.subscribe({ type: ['container'], label: [`com.docker.swarm.service.id=${serviceId}`] }, undefined, () => onChange());
      return () => {
        service.unsubscribe();
        tasks.unsubscribe();
      };
    },
  };
}

/** One engine's services over its adapters: the per-engine half of the composition root. No I/O here. */
export function wireEngine(a: EngineAdapters, shared: SharedServices): WiredEngine {
  const { config, logger, allowlist, registryStore } = shared;
  const name = a.config.name;
  const timeoutMs = a.config.timeoutMs;
  const docker = a.docker;
  const events = shared.events.forEngine(name);
  const jobs = shared.jobs.forEngine(name);
  // Every /system/df of this engine goes through one gate (the engine refuses a second one at once); image lists
  // reuse its result until the event stream reports an image or container change.
  const imageChanges = () => a.writes.and(changesFromEvents(events));
  const diskUsage = diskUsageGate(docker.streaming, timeoutMs, imageChanges());
  // Image and container reads are answered again until a change is seen (src/engine/read-cache.ts): at most 5 s;
  // container lists at most 1 s, for their `status` text ("Up 3 seconds") changes with time alone.
  // At most 16 lists (one per filter set: a list of 1,000 containers is ~2 MB held) and 1,000 inspects.
  const readCaches = {
    image_list: new ReadCache<ImageSummary[]>(imageChanges(), { maxAgeMs: 5000, maxEntries: 16 }),
    image_inspect: new ReadCache<ImageDetails>(imageChanges(), { maxAgeMs: 5000, maxEntries: 1000 }),
    container_list: new ReadCache<ContainerSummary[]>(a.writes.and(changesFromEvents(events, containerChanges)), { maxAgeMs: 1000, maxEntries: 16 }),
  };
  const imageRepository = new DockerImageRepository(docker.api, timeoutMs, diskUsage, {
    list: readCaches.image_list,
    inspect: readCaches.image_inspect,
  });
  const containerRepository = new DockerContainerRepository(
    docker.api,
    { timeoutMs, probeLocalPorts: a.config.endpoint.kind === 'socket', waiting: docker.streaming },
    readCaches.container_list,
  );
  const containerCreator = new ContainerCreator(containerRepository, jobs, {
    policy: { ...config.createPolicy, bindRoots: config.allowedBindPaths },
    allowlist,
    hostPaths: realPaths,
    // A retried create within a day answers the first answer; at most 1000 keys are remembered.
    idempotency: { ttlMs: 24 * 3600_000, maxEntries: 1000 },
  });
  const updates = new UpdateChecker(
    {
      images: imageRepository,
      registry: new RegistryManifestClient(Math.min(10_000, Math.max(2000, timeoutMs))),
      engine: new DockerDistribution(docker.api, Math.max(15_000, timeoutMs)),
      allowlist,
      store: registryStore,
      now: () => Date.now(),
      observe: (registry, via, outcome) => shared.metrics.registryLookups.inc({ registry, via, outcome }),
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
    shared.events.announce(
      {
        type: 'image',
        action: 'update_available',
        actorId: u.reference,
        attributes: { name: u.reference, imageId: u.imageId ?? '', localDigest: u.localDigests[0] ?? '', remoteDigest: u.remote?.digest ?? '' },
      },
      name,
    ),
  );
  const updateService = new UpdateService(updates, containerRepository, jobs);
  updateService.startBackground(config.updates.checkIntervalMs, (err) => logger.warn({ err, engine: name }, 'background update check did not start'));
  const swarmEngine = new DockerSwarm(docker.api, timeoutMs);
  const swarm = new SwarmService(swarmEngine);
  // Service images are pinned by the manager engine's distribution inspect (as a pull would resolve them).
  const pinner = new ImagePinner(new DockerDistribution(docker.api, Math.max(15_000, timeoutMs)), allowlist, registryStore);
  const scope: EngineScope = {
    name,
    engine: new DockerEngineStatus(docker.api, timeoutMs),
    images: new ImageService(imageRepository),
    imageAdmin: wireImageAdmin(docker, timeoutMs, diskUsage, allowlist, registryStore),
    containers: new ContainerService(containerRepository),
    containerCreator,
    containerStreams: new DockerContainerStreams(docker.streaming, timeoutMs),
    jobs,
    imageTagger: new ImageTagger(a.transfer, imageRepository),
    terminals: new TerminalService(new DockerTerminal(docker.api, docker.streaming, timeoutMs), shared.audit),
    updates,
    updateService,
    containerUpdates: new ContainerUpdates(updates, imageRepository, containerRepository),
    // Both container ids of every recreate (replaced or rolled back) are an audit line.
    recreator: new ContainerRecreator(containerRepository, containerRepository, jobs, jobs, shared.audit, {
      settleMs: config.updates.recreateSettleMs,
      healthTimeoutMs: 60_000,
      pollMs: 250,
      idempotency: { ttlMs: 24 * 3600_000, maxEntries: 1000 },
    }),
    swarm,
    swarmCreator: new ServiceCreator(swarm, swarmEngine, pinner, {
      bindRoots: config.allowedBindPaths,
      hostPaths: realPaths,
      idempotency: { ttlMs: 24 * 3600_000, maxEntries: 1000 },
    }),
    // A change re-reads on the service's events and its tasks' container events; 2 s is the fallback for the rest.
    swarmChanges: new ServiceChanges(
      swarmEngine,
      jobs,
      pinner,
      serviceWatch(shared.events),
      { fallbackMs: 2000, minReadGapMs: 150, maxWaitMs: 15 * 60_000 },
      () => swarm.requireManager(),
    ),
  };
  return { scope, readCaches: readCaches, close: () => updateService.close() };
}
