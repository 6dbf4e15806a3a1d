import type { RequestListener } from 'node:http';
import express, { type RequestHandler } from 'express';
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
import type { JobService } from './domain/jobs/job-service';
import type { RegistryService } from './domain/registries/registry-service';
import type { TerminalService } from './domain/terminal/exec-service';
import { accessLog } from './http/access-log';
import { auditTrail } from './http/audit-log';
import type { AuditTrail } from './domain/audit/audit-trail';
import { auditRouter } from './http/routes/audit';
import { requestMetrics } from './http/request-metrics';
import { rateLimits, type RateLimitConfig } from './http/rate-limits';
import { metricsRouter } from './http/routes/metrics';
import type { ServiceMetrics } from './metrics/service-metrics';
import { consoleRouter } from './http/console';
import { contractValidator, docsRouter, loadSpec } from './http/openapi';
import { fastReads } from './http/fast-reads';
import { errorHandler, notFoundHandler } from './http/problem';
import { healthRouter } from './http/routes/health';
import { imageAdminRouter, type ImageAdminServices } from './http/routes/image-admin';
import { imageReadRouter, imageReads } from './http/routes/images';
import { containerCreateRouter, containerReads, containerRouter } from './http/routes/containers';
import { streamingRouter } from './http/routes/streaming';
import { imageTransferRouter } from './http/routes/image-transfer';
import { jobRouter } from './http/routes/jobs';
import { registryRouter } from './http/routes/registries';
import { execRouter } from './http/routes/exec';
import { meRouter } from './http/routes/me';

/** Everything the HTTP edge needs, already built: the domain services and their collaborators. */
export interface AppServices {
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
  /** Exec and attach (admin, audit-logged); sessions run over the WebSocket `exec` and `attach` channels. */
  terminals: TerminalService;
  /** The audit trail: log lines and rows in DATA_DIR/dockhand.db, queried by GET /audit (admin). */
  audit: AuditTrail;
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
 * The service's HTTP handler — the fast read path in front of the Express app — with no listening and no process
 * state, so tests build a fresh one each time.
 */
export function buildApp(services: AppServices, opts: AppOptions = {}): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  // Every request is observed from its start: the fast read path below runs these too.
  const observers = [accessLog(services.logger), requestMetrics(services.metrics), ...(opts.onOperation ? [operationRecorder(opts.onOperation)] : [])];
  for (const observe of observers) app.use(observe);
  app.use(auditTrail(services.audit));
  app.use(express.json({ limit: opts.bodyLimit ?? 256 * 1024, type: ['application/json', 'application/*+json'] }));
  const imageReadOps = imageReads(services.images);
  const containerReadOps = containerReads(services.containers);
  // The web console's page and bundle are not API operations: served before the contract validator.
  app.use(consoleRouter());
  app.use(
    contractValidator({
      verifier: services.verifier,
      validateResponses: opts.validateResponses ?? false,
      // Whoever validates responses (the tests) also checks the document against the OpenAPI meta-schema.
      validateApiSpec: opts.validateResponses ?? false,
    }),
  );
  app.use(rateLimits(services.rateLimits, (limit) => services.metrics.rateLimited.inc({ limit })));
  app.use(docsRouter());
  app.use(metricsRouter(services.metrics));
  app.use(healthRouter(services.engine));

  const api = express.Router();
  api.use(imageAdminRouter(services.imageAdmin));
  api.use(imageReadRouter(services.images, imageReadOps));
  api.use(containerCreateRouter(services.containerCreator));
  api.use(containerRouter(services.containers, containerReadOps));
  api.use(streamingRouter(services.events, services.wsTickets));
  api.use(imageTransferRouter(services.jobs, services.imageTagger));
  api.use(jobRouter(services.jobs));
  api.use(registryRouter(services.registries));
  api.use(execRouter(services.terminals));
  api.use(auditRouter(services.audit));
  api.use(meRouter());
  app.use('/api/v1', api);

  app.use(notFoundHandler);
  app.use(errorHandler(services.logger));

  // The hot reads, when plainly valid, are answered before Express; everything else goes to the app above.
  const fast = fastReads({
    verifier: services.verifier,
    operations: { ...imageReadOps, ...containerReadOps },
    contract: loadSpec().doc,
    validateResponses: opts.validateResponses ?? false,
    observers,
    logger: services.logger,
  });
  return (req, res) => {
    if (!fast.serve(req, res)) app(req, res);
  };
}
