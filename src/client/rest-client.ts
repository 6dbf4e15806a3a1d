/**
 * A small typed client for the REST API (contract: openapi.yaml), built on `fetch` so it runs in browsers and in
 * Node 20 alike. Self-contained on purpose (no imports from the server), like ws-client.ts: the web console bundles
 * it. Its types are the contract's, generated into openapi-types.ts (`npm run gen:types`), so they cannot drift from
 * openapi.yaml; every error is an `ApiError` carrying the problem document.
 */
import type { components, operations } from './openapi-types';

type Schemas = components['schemas'];
/** The JSON an operation answers with `status`. */
type Answer<Op extends keyof operations, Status extends keyof operations[Op]['responses']> = operations[Op]['responses'][Status] extends {
  content: { 'application/json': infer Body };
}
  ? Body
  : never;
type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;

export type Role = Schemas['ConsolePrincipal']['role'];

type ContractProblem = Schemas['Problem'];
/**
 * The contract's problem document, except that `code` may also be `http_error`: the client makes one up for an
 * answer that carried no problem document (a proxy's error page). Mapped with `as`, not Omit, which would drop
 * the named fields of a type with an index signature.
 */
export type Problem = { [K in keyof ContractProblem as K extends 'code' ? never : K]: ContractProblem[K] } & {
  code: ContractProblem['code'] | 'http_error';
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
  get code(): Problem['code'] {
    return this.problem.code;
  }
}

export type Principal = Schemas['ConsolePrincipal'];

export type ImageSummary = Schemas['ImageSummary'];
export type ImageDetails = Schemas['ImageDetails'];
export type ImageHistoryEntry = Schemas['ImageHistoryEntry'];
export type BlockingContainer = Schemas['ImageBlockingContainer'];
export type ImageRemoval = Schemas['ImageRemoval'];
export type ImageRemovalPreview = Schemas['ImageRemovalPreview'];
export type ImagePruneResult = Schemas['ImagePruneResult'];
export type DiskUsage = Schemas['DiskUsage'];

export type JobState = Schemas['JobState'];
export type JobLayer = Schemas['JobLayer'];
export type Job = Schemas['Job'];

export type ContainerStatus = Schemas['ContainerStatus'];
export type ContainerSummary = Schemas['ContainerSummary'];
export type ContainerCreateRequest = Schemas['ContainerCreateRequest'];
export type ContainerDetails = Schemas['ContainerDetails'];
export type TerminalExecRequest = Schemas['TerminalExecRequest'];
/** An exec created for a terminal session (admin); it starts when subscribed on the WebSocket `exec` channel. */
export type TerminalExec = Schemas['TerminalExec'];
/** The actions the client posts bare (not `kill` with its signal, nor `rename` with its body). */
export type ContainerAction = Extract<Schemas['ContainerActionResult']['action'], 'start' | 'stop' | 'restart' | 'pause' | 'unpause'>;
export type ContainerActionResult = Schemas['ContainerActionResult'];

export type WsTicket = Schemas['StreamWsTicket'];
export type Engine = Schemas['Engine'];
export type EngineContainerSummary = Schemas['EngineContainerSummary'];
export type FleetMissing = Schemas['FleetMissing'];

export type SwarmState = Schemas['SwarmState'];
export type SwarmNode = Schemas['SwarmNode'];
export type SwarmService = Schemas['SwarmService'];
export type SwarmServiceLogs = Answer<'getSwarmServiceLogs', 200>;
type SwarmNodeChange = NonNullable<operations['updateSwarmNode']['requestBody']>['content']['application/json'];
type SwarmServiceChange = NonNullable<operations['updateSwarmService']['requestBody']>['content']['application/json'];

type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RestClientOptions {
  /** The service's origin (`http://127.0.0.1:8080`); empty for the page's own origin in a browser. */
  baseUrl?: string;
  /** Read before every request, so a changed token applies at once. */
  token(): string | undefined;
  fetch?: typeof fetch;
  /**
   * The engine engine-scoped operations work on (`/api/v1/engines/{engine}/…`); absent or `default`: the unprefixed
   * paths, which are the default engine's.
   */
  engine?: string;
}

/** Path prefixes of the contract's engine-scoped operations (openapi.yaml `x-engine-scoped: true`). */
const ENGINE_SCOPED = /^\/(images|containers|updates|exec|system|swarm)(\/|$)/;

const enc = encodeURIComponent;

export class DockhandRestClient {
  constructor(private readonly opts: RestClientOptions) {}

  me = () => this.call<Principal>('GET', '/me');
  wsTicket = () => this.call<WsTicket>('POST', '/ws-tickets');

  listImages = (opts: Pick<QueryOf<'listImages'>, 'updates'> = {}) =>
    this.call<Answer<'listImages', 200>>('GET', '/images', { query: { updates: opts.updates || undefined } }).then((r) => r.items);
  inspectImage = (ref: string) => this.call<ImageDetails>('GET', `/images/${enc(ref)}`);
  imageHistory = (ref: string) => this.call<Answer<'getImageHistory', 200>>('GET', `/images/${enc(ref)}/history`).then((r) => r.items);
  tagImage = (ref: string, repository: string, tag: string) =>
    this.call<Schemas['ImageTagResult']>('POST', `/images/${enc(ref)}/tag`, { body: { repository, tag } satisfies Schemas['ImageTagRequest'] });
  removeImage = (ref: string, opts: Pick<QueryOf<'removeImage'>, 'force'> = {}) =>
    this.call<ImageRemoval>('DELETE', `/images/${enc(ref)}`, { query: { force: opts.force || undefined } });
  previewImageRemoval = (ref: string, opts: Pick<QueryOf<'removeImage'>, 'force'> = {}) =>
    this.call<ImageRemovalPreview>('DELETE', `/images/${enc(ref)}`, { query: { force: opts.force || undefined, dryRun: true } });
  pruneImages = (opts: Pick<Schemas['ImagePruneRequest'], 'all'> & Required<QueryOf<'pruneImages'>>) =>
    this.call<ImagePruneResult>('POST', '/images/prune', {
      query: { dryRun: opts.dryRun },
      body: { all: !!opts.all } satisfies Schemas['ImagePruneRequest'],
    });
  diskUsage = () => this.call<DiskUsage>('GET', '/system/disk-usage');

  pull = (image: string) => this.call<Job>('POST', '/images/pull', { body: { image } satisfies Schemas['ImagePullRequest'] });
  listJobs = (query: QueryOf<'listJobs'> = {}) => this.call<Answer<'listJobs', 200>>('GET', '/jobs', { query }).then((r) => r.items);
  cancelJob = (id: string) => this.call<Job>('DELETE', `/jobs/${enc(id)}`);

  imageUpdate = (ref: string, opts: { refresh?: boolean } = {}) =>
    this.call<Schemas['ImageUpdate']>('GET', `/images/${enc(ref)}/updates`, { query: { refresh: opts.refresh || undefined } });
  checkUpdates = () => this.call<Job>('POST', '/updates/check');
  recreateContainer = (id: string, opts: { pull?: boolean } = {}) =>
    this.call<Job>('POST', `/containers/${enc(id)}/recreate`, { body: { pull: !!opts.pull } });

  listContainers = (query: Pick<QueryOf<'listContainers'>, 'all' | 'size' | 'updates'> = {}) =>
    this.call<Answer<'listContainers', 200>>('GET', '/containers', { query }).then((r) => r.items);
  createContainer = (body: ContainerCreateRequest) => this.call<ContainerDetails>('POST', '/containers', { body });
  containerAction = (id: string, action: ContainerAction) => this.call<ContainerActionResult>('POST', `/containers/${enc(id)}/${action}`);
  removeContainer = (id: string, opts: Pick<QueryOf<'removeContainer'>, 'force'> = {}) =>
    this.call<void>('DELETE', `/containers/${enc(id)}`, { query: { force: opts.force || undefined } });
  inspectContainer = (id: string) => this.call<ContainerDetails>('GET', `/containers/${enc(id)}`);
  createExec = (id: string, body: TerminalExecRequest) => this.call<TerminalExec>('POST', `/containers/${enc(id)}/exec`, { body });

  listEngines = () => this.call<Answer<'listEngines', 200>>('GET', '/engines').then((r) => r.items);
  listFleetContainers = (query: QueryOf<'listFleetContainers'> = {}) =>
    this.call<Answer<'listFleetContainers', 200>>('GET', '/engines/all/containers', { query });

  getSwarm = () => this.call<SwarmState>('GET', '/swarm');
  listSwarmNodes = () => this.call<SwarmNode[]>('GET', '/swarm/nodes');
  updateSwarmNode = (id: string, change: SwarmNodeChange) => this.call<SwarmNode>('PATCH', `/swarm/nodes/${enc(id)}`, { body: change });
  listSwarmServices = () => this.call<SwarmService[]>('GET', '/swarm/services');
  removeSwarmService = (id: string) => this.call<void>('DELETE', `/swarm/services/${enc(id)}`);
  swarmServiceLogs = (id: string, query: QueryOf<'getSwarmServiceLogs'> = {}) =>
    this.call<SwarmServiceLogs>('GET', `/swarm/services/${enc(id)}/logs`, { query });
  /** Service changes are jobs; `version` (the service's as read) becomes `If-Match`, so a stale read is refused with 412. */
  updateSwarmService = (id: string, change: SwarmServiceChange, version?: number) =>
    this.call<Job>('POST', `/swarm/services/${enc(id)}/update`, { body: change, headers: ifMatch(version) });
  scaleSwarmService = (id: string, replicas: number, version?: number) =>
    this.call<Job>('POST', `/swarm/services/${enc(id)}/scale`, { body: { replicas }, headers: ifMatch(version) });
  rollbackSwarmService = (id: string, version?: number) =>
    this.call<Job>('POST', `/swarm/services/${enc(id)}/rollback`, { headers: ifMatch(version) });

  /** One request; a non-2xx answer becomes an ApiError with the problem document (or a made-up one). */
  async call<T>(method: string, path: string, opts: { query?: Query; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const engine = this.opts.engine;
    const scoped = engine && engine !== 'default' && ENGINE_SCOPED.test(path) ? `/engines/${enc(engine)}${path}` : path;
    const url = `${this.opts.baseUrl ?? ''}/api/v1${scoped}${queryString(opts.query)}`;
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...opts.headers };
    const token = this.opts.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const doFetch = this.opts.fetch ?? fetch;
    const res = await doFetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const problem: Problem = (parsed as Problem | undefined)?.code
        ? (parsed as Problem)
        : {
            type: 'about:blank',
            title: res.statusText || 'error',
            status: res.status,
            code: 'http_error',
            detail: text.slice(0, 200) || `HTTP ${res.status}`,
          };
      throw new ApiError(res.status, problem);
    }
    return parsed as T;
  }
}

const ifMatch = (version: number | undefined): Record<string, string> => (version === undefined ? {} : { 'If-Match': `"${version}"` });

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}
