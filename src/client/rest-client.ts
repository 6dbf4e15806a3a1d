/**
 * A small typed client for the REST API (contract: openapi.yaml), built on `fetch` so it runs in browsers and in
 * Node 20 alike. Self-contained on purpose (no imports from the server), like ws-client.ts: the web console bundles
 * it. Types mirror the contract's schemas for the fields clients read; every error is an `ApiError` carrying the
 * problem document.
 */

export type Role = 'viewer' | 'operator' | 'admin';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: { path: string; message: string }[];
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
  get code(): string {
    return this.problem.code;
  }
}

export interface Principal {
  name: string;
  role: Role;
}

export interface ImageSummary {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: string;
  size: number;
  sharedSize: number;
  uniqueSize: number;
  containers: number;
  inUse: boolean;
  labels: Record<string, string>;
}

export interface ImageDetails {
  id: string;
  repoTags: string[];
  created: string;
  architecture: string;
  os: string;
  user: string;
  entrypoint: string[] | null;
  cmd: string[] | null;
  env: string[];
  exposedPorts: string[];
  workingDir: string;
  labels: Record<string, string>;
  layers: string[];
  size: number;
}

export interface ImageHistoryEntry {
  id: string | null;
  created: string;
  createdBy: string;
  size: number;
  tags: string[];
  comment: string;
  emptyLayer: boolean;
}

export interface BlockingContainer {
  id: string;
  name: string;
  state: string;
}

export interface ImageRemoval {
  dryRun: false;
  imageId: string;
  untagged: string[];
  deleted: string[];
}

export interface ImageRemovalPreview {
  dryRun: true;
  imageId: string;
  untagged: string[];
  deleted: string[];
  bytesFreed: number;
  blocked: boolean;
  blockedReason?: 'image_in_use' | 'conflict';
  blockingContainers: BlockingContainer[];
  childImages: string[];
}

export interface ImagePruneResult {
  dryRun: boolean;
  untagged: string[];
  deleted: string[];
  bytesFreed: number;
}

export interface DiskUsage {
  layersSize: number;
  reclaimable: number;
  images: { count: number; active: number; reclaimable: number; reclaimableAtMost: number };
  containers: { count: number; running: number; sizeRw: number; reclaimable: number };
  volumes: { count: number; active: number; size: number; reclaimable: number };
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobLayer {
  id: string;
  state: string;
  current: number | null;
  total: number | null;
}

export interface Job {
  id: string;
  kind: 'pull' | 'push';
  image: string;
  state: JobState;
  progress: {
    layers: JobLayer[];
    bytesDone: number;
    bytesTotal: number;
    totalKnown: boolean;
    percent: number;
    layersTotal: number;
    layersDone: number;
    layersAlreadyPresent: number;
    etaSeconds: number | null;
  };
  error: { code: string; message: string } | null;
  status: string | null;
  createdAt: string;
  finishedAt: string | null;
  createdBy: string;
}

export type ContainerStatus = 'created' | 'restarting' | 'running' | 'removing' | 'paused' | 'exited' | 'dead';

export interface ContainerSummary {
  id: string;
  names: string[];
  image: string;
  imageId: string;
  command: string;
  created: string;
  state: ContainerStatus;
  status: string;
  ports: { privatePort: number; publicPort?: number; type: string; ip?: string }[];
  labels: Record<string, string>;
  sizeRw?: number;
  sizeRootFs?: number;
}

export interface ContainerCreateRequest {
  image: string;
  name?: string;
  cmd?: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
  ports?: { containerPort: number; hostPort?: number; protocol?: 'tcp' | 'udp' | 'sctp' }[];
  /** `-t` and `-i`: together they make a container one can attach a terminal to. */
  tty?: boolean;
  openStdin?: boolean;
}

export interface ContainerDetails {
  id: string;
  name: string;
  state: { status: ContainerStatus; running: boolean; paused: boolean };
  config: { cmd: string[] | null; tty: boolean; openStdin: boolean };
}

export interface TerminalExecRequest {
  cmd: string[];
  tty?: boolean;
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
}

/** An exec created for a terminal session (admin); it starts when subscribed on the WebSocket `exec` channel. */
export interface TerminalExec {
  execId: string;
  containerId: string;
  running: boolean;
  exitCode: number | null;
  tty: boolean;
  openStdin: boolean;
  cmd: string[];
}

export type ContainerAction = 'start' | 'stop' | 'restart' | 'pause' | 'unpause';

export interface ContainerActionResult {
  id: string;
  name: string;
  action: string;
  changed: boolean;
  state: { status: ContainerStatus };
}

export interface WsTicket {
  ticket: string;
  expiresAt: string;
}

type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RestClientOptions {
  /** The service's origin (`http://127.0.0.1:8080`); empty for the page's own origin in a browser. */
  baseUrl?: string;
  /** Read before every request, so a changed token applies at once. */
  token(): string | undefined;
  fetch?: typeof fetch;
}

const enc = encodeURIComponent;

export class DockhandRestClient {
  constructor(private readonly opts: RestClientOptions) {}

  me = () => this.call<Principal>('GET', '/me');
  wsTicket = () => this.call<WsTicket>('POST', '/ws-tickets');

  listImages = () => this.call<{ items: ImageSummary[] }>('GET', '/images').then((r) => r.items);
  inspectImage = (ref: string) => this.call<ImageDetails>('GET', `/images/${enc(ref)}`);
  imageHistory = (ref: string) => this.call<{ items: ImageHistoryEntry[] }>('GET', `/images/${enc(ref)}/history`).then((r) => r.items);
  tagImage = (ref: string, repository: string, tag: string) => this.call<{ id: string; image: string }>('POST', `/images/${enc(ref)}/tag`, { body: { repository, tag } });
  removeImage = (ref: string, opts: { force?: boolean } = {}) => this.call<ImageRemoval>('DELETE', `/images/${enc(ref)}`, { query: { force: opts.force || undefined } });
  previewImageRemoval = (ref: string, opts: { force?: boolean } = {}) =>
    this.call<ImageRemovalPreview>('DELETE', `/images/${enc(ref)}`, { query: { force: opts.force || undefined, dryRun: true } });
  pruneImages = (opts: { all?: boolean; dryRun: boolean }) => this.call<ImagePruneResult>('POST', '/images/prune', { query: { dryRun: opts.dryRun }, body: { all: !!opts.all } });
  diskUsage = () => this.call<DiskUsage>('GET', '/system/disk-usage');

  pull = (image: string) => this.call<Job>('POST', '/images/pull', { body: { image } });
  listJobs = (query: { state?: JobState; kind?: 'pull' | 'push' } = {}) => this.call<{ items: Job[] }>('GET', '/jobs', { query }).then((r) => r.items);
  cancelJob = (id: string) => this.call<Job>('DELETE', `/jobs/${enc(id)}`);

  listContainers = (query: { all?: boolean; size?: boolean } = {}) => this.call<{ items: ContainerSummary[] }>('GET', '/containers', { query }).then((r) => r.items);
  createContainer = (body: ContainerCreateRequest) => this.call<ContainerDetails>('POST', '/containers', { body });
  containerAction = (id: string, action: ContainerAction) => this.call<ContainerActionResult>('POST', `/containers/${enc(id)}/${action}`);
  removeContainer = (id: string, opts: { force?: boolean } = {}) => this.call<void>('DELETE', `/containers/${enc(id)}`, { query: { force: opts.force || undefined } });
  inspectContainer = (id: string) => this.call<ContainerDetails>('GET', `/containers/${enc(id)}`);
  createExec = (id: string, body: TerminalExecRequest) => this.call<TerminalExec>('POST', `/containers/${enc(id)}/exec`, { body });

  /** One request; a non-2xx answer becomes an ApiError with the problem document (or a made-up one). */
  async call<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    const url = `${this.opts.baseUrl ?? ''}/api/v1${path}${queryString(opts.query)}`;
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
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
      const problem = (parsed as Problem | undefined)?.code
        ? (parsed as Problem)
        : { type: 'about:blank', title: res.statusText || 'error', status: res.status, code: 'http_error', detail: text.slice(0, 200) || `HTTP ${res.status}` };
      throw new ApiError(res.status, problem);
    }
    return parsed as T;
  }
}

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
