import type { RequestListener } from 'node:http';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { TokenVerifier } from './domain/auth/tokens';
import type { EngineStatus } from './domain/engine-status';
import type { WsTicketStore } from './domain/auth/ws-tickets';
import type { EventsHub } from './domain/events/events-hub';
import type { ImageService } from './domain/images/image-service';
import type { ContainerCreator } from './domain/containers/container-creator';
import type { ContainerService } from './domain/containers/container-service';
import type { ContainerStreams } from './domain/containers/container-streams';
import type { ImagePuller } from './domain/images/image-puller';
import type { ImageTagger } from './domain/images/image-tagger';
import type { EngineJobs, JobService } from './domain/jobs/job-service';
import type { EngineDirectory } from './domain/engines/engine-directory';
import type { EngineMonitor } from './domain/engines/engine-monitor';
import { enginePrefix, engineScope, enginesRouter, type FleetReads } from './http/routes/engines';
import { plainEngineScopedRoutes } from './http/engine-contract';
import { eventsRouter, ticketRouter } from './http/routes/streaming';
import type { RegistryService } from './domain/registries/registry-service';
import type { TerminalService } from './domain/terminal/exec-service';
import { accessLog } from './http/access-log';
import { auditTrail } from './http/audit-log';
import type { AuditTrail } from './domain/audit/audit-trail';
import { auditRouter } from './http/routes/audit';
import { webhookRouter } from './http/routes/webhooks';
import { triggerRouter } from './http/routes/triggers';
import type { WebhookService } from './domain/webhooks/webhook-service';
import type { TriggerService } from './domain/triggers/trigger-service';
import { requestMetrics } from './http/request-metrics';
import { rateLimits, type RateLimitConfig } from './http/rate-limits';
import type { RateLimiter } from './domain/limits/rate-limiter';
import { metricsRouter } from './http/routes/metrics';
import type { ServiceMetrics } from './metrics/service-metrics';
import { consoleRouter } from './http/console';
import { contractValidator, docsRouter, loadSpec } from './http/openapi';
import { fastReads } from './http/fast-reads';
import { authGate } from './http/auth-gate';
import { refuseUnexpectedBody } from './http/no-body';
import { errorHandler, notFoundHandler } from './http/problem';
import { healthRouter } from './http/routes/health';
import type { ImageAdminServices } from './domain/images/image-admin-services';
import { imageAdminRouter } from './http/routes/image-admin';
import { imageReadRouter, imageReads } from './http/routes/images';
import { containerCreateRouter, containerReads, containerRouter } from './http/routes/containers';
import { imageTransferRouter } from './http/routes/image-transfer';
import { jobRouter } from './http/routes/jobs';
import { registryRouter } from './http/routes/registries';
import { execRouter } from './http/routes/exec';
import { meRouter } from './http/routes/me';
import { updatesRouter } from './http/routes/updates';
import type { UpdateChecker } from './domain/updates/update-checker';
import type { UpdateService } from './domain/updates/update-service';
import type { ContainerUpdates } from './domain/updates/container-updates';
import type { ContainerRecreator } from './domain/updates/container-recreator';
import type { SwarmService } from './domain/swarm/swarm-service';
import type { ServiceCreator } from './domain/swarm/service-create';
import type { ServiceChanges } from './domain/swarm/service-changes';
import { swarmRouter } from './http/routes/swarm';
import { swarmPeers, type SwarmPeers } from './domain/swarm/swarm-peers';

/**
 * One engine's services: what the engine-scoped routes use, `/api/v1/engines/{engine}/…` for each engine and the
 * `/api/v1/…` paths for `default`. Built per engine by the composition root (src/wiring-engine.ts).
 */
export interface EngineScope {
  name: string;
  engine: EngineStatus;
  images: ImageService;
  imageAdmin: ImageAdminServices;
  containers: ContainerService;
  containerCreator: ContainerCreator;
  containerStreams: ContainerStreams;
  /** The jobs service bound to this engine: pulls, pushes and tasks started here run on it. */
  jobs: EngineJobs;
  imageTagger: ImageTagger;
  terminals: TerminalService;
  updates: UpdateChecker;
  updateService: UpdateService;
  containerUpdates: ContainerUpdates;
  recreator: ContainerRecreator;
  /** Swarm mode: lifecycle, join tokens, nodes, services. */
  swarm: SwarmService;
  /** Swarm service creates (allowlisted body, image pinned to a digest). */
  swarmCreator: ServiceCreator;
  /** Swarm service updates, scales and rollbacks, as jobs. */
  swarmChanges: ServiceChanges;
}

/** Everything the HTTP edge needs, already built: the domain services and their collaborators. */
export interface AppServices {
  /** Every engine's scope by name; the fields below that belong to one engine are `default`'s. */
  engines: EngineDirectory<EngineScope>;
  /** Each engine's state, probed on demand (GET /engines, /readyz, dockhand_engine_up). */
  monitor: EngineMonitor;
  logger: Logger;
  verifier: TokenVerifier;
  engine: EngineStatus;
  images: ImageService;
  /** Image removal, prune, search and disk usage. */
  imageAdmin: ImageAdminServices;
  containers: ContainerService;
  containerCreator: ContainerCreator;
  /** Live logs and stats, for the WebSocket channels. */
  containerStreams: ContainerStreams;
  /** The one engine event stream, numbered and fanned out (WebSocket `events` channel and GET /events). */
  events: EventsHub;
  wsTickets: WsTicketStore;
  /** Pull and push jobs; implements JobFeed for the WebSocket job channel. */
  jobs: JobService;
  /** How other domains get an image: through a shared, visible pull job. */
  imagePuller: ImagePuller;
  registries: RegistryService;
  imageTagger: ImageTagger;
  /** Prometheus metrics of this instance (GET /metrics). */
  metrics: ServiceMetrics;
  /** Per-token budgets on costly operations. */
  rateLimits: RateLimitConfig;
  /** A fleet view waits this long for each engine's list: its engine timeout (absent: 10 s). */
  engineTimeouts?: ReadonlyMap<string, number>;
  /** The log budget, shared with the WebSocket logs channel (absent: the REST path builds its own). */
  logTails?: RateLimiter;
  /** Exec and attach (admin, audit-logged); sessions run over the WebSocket `exec` and `attach` channels. */
  terminals: TerminalService;
  /** Image update detection (registry digests against the local RepoDigests), cached per reference. */
  updates: UpdateChecker;
  /** The check of every image in use, as a job. */
  updateService: UpdateService;
  /** Containers' update status, from the update cache only. */
  containerUpdates: ContainerUpdates;
  /** Recreate a container on its tag's newer image, with rollback, as a job. */
  recreator: ContainerRecreator;
  /** The audit trail: log lines and rows in DATA_DIR/dockhand.db, queried by GET /audit (admin). */
  audit: AuditTrail;
  /** Outbound webhooks (admin) and inbound triggers (src/wiring-webhooks.ts). */
  webhooks: WebhookService;
  triggers: TriggerService;
}

export interface AppOptions {
  validateResponses?: boolean;
  /** Largest JSON body accepted (bytes). */
  bodyLimit?: number;
  /** Called once per answered request that matched a contract operation (tests use it for coverage). */
  onOperation?: (method: string, route: string, status: number) => void;
}

function operationRecorder(onOperation: NonNullable<AppOptions['onOperation']>): RequestHandler {
  return (req, res, next) => {
    res.on('finish', () => {
      const route = (req as { openapi?: { openApiRoute?: string } }).openapi?.openApiRoute;
      if (route && res.statusCode !== 500) onOperation(req.method, route, res.statusCode);
    });
    next();
  };
}

/**
 * What the fast read path (src/http/fast-reads.ts, in front of Express for the three hottest reads) does with a
 * stage of the Express pipeline. Every stage must say: a stage added without a decision does not compile, and
 * one mounted outside the pipeline makes buildApp throw (test/api/app-pipeline.test.ts).
 */
export type FastPathDisposition =
  /** The fast path runs this very handler for each request it takes (it only observes the response finishing). */
  | { fastPath: 'runs' }
  /** The fast path does this stage's work itself, from the same source (the contract, the same operation, the same problem table). */
  | { fastPath: 'same-work'; how: string }
  /** The stage does nothing for the requests the fast path takes (a GET of one of its operations), and why. */
  | { fastPath: 'skipped'; why: string };

/** A stage's handler: middleware, an error handler, a router, or a list (the contract validator is several). */
type StageHandler = RequestHandler | ErrorRequestHandler | express.Router | readonly (RequestHandler | ErrorRequestHandler)[];
type OneHandler = RequestHandler | ErrorRequestHandler | express.Router;
const handlersOf = (h: StageHandler): readonly OneHandler[] => (typeof h === 'function' ? [h] : h);

export type PipelineStage = { name: string; handler: StageHandler; path?: string } & FastPathDisposition;

type Reads = { images: ReturnType<typeof imageReads>; containers: ReturnType<typeof containerReads> };

/** One engine's routes: every engine-scoped operation of the contract, over that engine's scope (one router per resource). */
function engineRoutes(s: EngineScope, events: EventsHub, reads: Reads, peers: SwarmPeers): express.Router[] {
  return [
    imageAdminRouter(s.imageAdmin),
    updatesRouter(s.updates, s.updateService, s.recreator),
    imageReadRouter(s.images, reads.images),
    containerCreateRouter(s.containerCreator),
    containerRouter(s.containers, reads.containers, s.containerUpdates),
    eventsRouter(events, s.name),
    imageTransferRouter(s.jobs, s.imageTagger),
    execRouter(s.terminals),
    swarmRouter(s.swarm, peers, s.swarmCreator, s.swarmChanges),
  ];
}

/** The Express pipeline, in order: the one definition the app is mounted from and the fast read path is checked against. */
export function appPipeline(services: AppServices, opts: AppOptions, reads: Reads): PipelineStage[] {
  const routers = new Map<string, express.Router[]>();
  const fleetReads = new Map<string, FleetReads>();
  const peers = swarmPeers(services.engines);
  for (const [name, scope] of services.engines.all()) {
    const own =
      name === 'default'
        ? reads
        : { images: imageReads(scope.images, scope.updates), containers: containerReads(scope.containers, scope.containerUpdates) };
    routers.set(name, engineRoutes(scope, services.events, own, peers));
    fleetReads.set(name, { listContainers: own.containers.listContainers, listImages: own.images.listImages });
  }
  const api = express.Router();
  // Service-wide routes first; then the engines' (`/engines/{engine}/…`), then `default`'s at the plain paths.
  api.use(ticketRouter(services.wsTickets));
  api.use(jobRouter(services.jobs, services.engines));
  api.use(registryRouter(services.registries));
  api.use(auditRouter(services.audit));
  api.use(webhookRouter(services.webhooks), triggerRouter(services.triggers, services.engines));
  api.use(meRouter());
  api.use(enginesRouter(services.engines, services.monitor, fleetReads, (name) => services.engineTimeouts?.get(name) ?? 10_000));
  for (const [name, own] of routers) for (const r of own) api.use(enginePrefix(name), r);
  for (const r of routers.get('default') ?? []) api.use(r);
  const otherPaths = 'serves only paths outside /api/v1';
  return [
    // Every request is observed from its start.
    { name: 'access log', handler: accessLog(services.logger), fastPath: 'runs' },
    { name: 'request metrics', handler: requestMetrics(services.metrics), fastPath: 'runs' },
    ...(opts.onOperation ? [{ name: 'operation recorder', handler: operationRecorder(opts.onOperation), fastPath: 'runs' as const }] : []),
    {
      name: 'audit trail',
      handler: auditTrail(services.audit),
      fastPath: 'skipped',
      why: 'records only POST, PUT, PATCH and DELETE; fast reads are GETs',
    },
    // Who asks is checked before the body is read: an unauthenticated bad body is 401, and never parsed.
    {
      name: 'authentication gate',
      handler: authGate(services.verifier, loadSpec().doc),
      fastPath: 'same-work',
      how: "checks the bearer token and the operation's scope with the same verifier and contract before answering",
    },
    {
      name: 'JSON body',
      handler: express.json({ limit: opts.bodyLimit ?? 256 * 1024, type: ['application/json', 'application/*+json'] }),
      fastPath: 'skipped',
      why: 'a GET has no body to parse',
    },
    // The web console's page and bundle are not API operations: served before the contract validator.
    { name: 'web console', handler: consoleRouter(), fastPath: 'skipped', why: otherPaths },
    {
      name: 'contract validator',
      handler: contractValidator({
        verifier: services.verifier,
        validateResponses: opts.validateResponses ?? false,
        // Whoever validates responses (the tests) also checks the document against the OpenAPI meta-schema.
        validateApiSpec: opts.validateResponses ?? false,
      }) as unknown as RequestHandler[],
      fastPath: 'same-work',
      how: "takes only requests the operation's own parameter schemas and bearer scope accept, compiled from the same contract; the rest goes to Express",
    },
    {
      name: 'unexpected body',
      handler: refuseUnexpectedBody,
      fastPath: 'same-work',
      how: 'hands any request that carries body bytes to Express, which refuses it here',
    },
    {
      name: 'engine scope',
      handler: engineScope(services.engines, plainEngineScopedRoutes(loadSpec().doc)),
      fastPath: 'same-work',
      how: "takes only the default engine's plain paths, and only for a token that may use the default engine",
    },
    {
      name: 'rate limits',
      handler: rateLimits(services.rateLimits, (limit) => services.metrics.rateLimited.inc({ limit }), { logTailsPerMinute: services.logTails }),
      fastPath: 'skipped',
      why: 'limits pulls, pushes, log tails and execs, none of them a fast read',
    },
    { name: 'docs', handler: docsRouter(), fastPath: 'skipped', why: otherPaths },
    { name: 'metrics', handler: metricsRouter(services.metrics), fastPath: 'skipped', why: otherPaths },
    { name: 'health', handler: healthRouter(services.monitor, services.engines, services.verifier), fastPath: 'skipped', why: otherPaths },
    {
      name: 'API routes',
      path: '/api/v1',
      handler: api,
      fastPath: 'same-work',
      how: 'calls the same read operation the router mounts (imageReads, containerReads) and answers with the same JSON encoder',
    },
    { name: 'not found', handler: notFoundHandler, fastPath: 'skipped', why: 'the fast path takes only paths of its operations' },
    {
      name: 'error handler',
      handler: errorHandler(services.logger),
      fastPath: 'same-work',
      how: 'answers a failure with the same problemOf/logFailure of src/http/problem.ts',
    },
  ];
}

/** The Express app's top-level layers (Express 5 keeps them on `app.router.stack`). */
export function expressLayers(app: express.Express): unknown[] {
  return (app as unknown as { router: { stack: unknown[] } }).router.stack;
}

/**
 * The service's HTTP handler — the fast read path in front of the Express app — with no listening and no process
 * state, so tests build a fresh one each time.
 */
export function buildApp(services: AppServices, opts: AppOptions = {}): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  const reads = { images: imageReads(services.images, services.updates), containers: containerReads(services.containers, services.containerUpdates) };
  const pipeline = appPipeline(services, opts, reads);
  let expected = 0;
  for (const stage of pipeline) {
    const handlers = handlersOf(stage.handler);
    expected += handlers.length;
    if (stage.path) app.use(stage.path, ...handlers);
    else app.use(...handlers);
  }
  // Anything mounted on the app but not through the pipeline would run on the full path only, unseen by the fast path.
  const layers = expressLayers(app).length;
  if (layers !== expected)
    throw new Error(`the Express app has ${layers} layers, its pipeline ${expected}: mount every middleware through appPipeline`);

  // The hot reads, when plainly valid, are answered before Express; everything else goes to the app above.
  const fast = fastReads({
    verifier: services.verifier,
    operations: { ...reads.images, ...reads.containers },
    contract: loadSpec().doc,
    validateResponses: opts.validateResponses ?? false,
    observers: pipeline.filter((s) => s.fastPath === 'runs').map((s) => s.handler as RequestHandler),
    logger: services.logger,
  });
  return (req, res) => {
    if (!fast.serve(req, res)) app(req, res);
  };
}
