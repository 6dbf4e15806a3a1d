import type { LiveStream } from '../containers/container-streams';
/** Swarm mode as this service speaks of it: the engine adapter (src/engine/docker-swarm.ts) fills these in. */

/** What the engine's `GET /info` says of its own place in a swarm. */
export interface LocalSwarmState {
  /** The node id of this engine in its swarm ('' when not in one): how a node is matched to a registered engine. */
  nodeId: string;
  /** inactive, pending, active, error or locked. */
  state: string;
  /** This engine is a manager (it can answer cluster reads and writes). */
  manager: boolean;
  /** The address other nodes reach this one at ('' when not in a swarm). */
  nodeAddr: string;
  /** Managers' addresses as this node knows them (`host:port`). */
  managerAddrs: string[];
  /** Counts a manager reports (0 on a worker). */
  nodes: number;
  managers: number;
}

/** The cluster's own record: `GET /swarm` on a manager. */
export interface ClusterRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** The spec as the engine keeps it, passed back whole on an update. */
  spec: Record<string, unknown>;
  joinTokens: JoinTokens;
}

export interface JoinTokens {
  worker: string;
  manager: string;
}

export interface SwarmInitRequest {
  advertiseAddr: string;
  listenAddr?: string;
}

export interface SwarmJoinRequest {
  remoteAddrs: string[];
  joinToken: string;
  advertiseAddr?: string;
  listenAddr?: string;
}

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';

export interface SwarmNode {
  id: string;
  version: number;
  hostname: string;
  role: NodeRole;
  availability: NodeAvailability;
  /** ready, down, unknown or disconnected. */
  state: string;
  address: string;
  leader: boolean;
  /** Manager reachability (reachable, unreachable, unknown); absent on a worker. */
  managerReachability?: string;
  engineVersion: string;
  labels: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface NodeSpecChange {
  availability?: NodeAvailability;
  role?: NodeRole;
  labels?: Record<string, string>;
}

/** A swarm service as listed: its spec's essentials and how far it is from its desired state. */
export interface ServiceSummary {
  id: string;
  name: string;
  /** The image reference of its spec (with the digest it was resolved to, as the engine keeps it). */
  image: string;
  mode: 'replicated' | 'global';
  /** Replicas asked for (replicated), or tasks the orchestrator wants (global: one per eligible node). */
  desired: number;
  running: number;
  /** The last rolling update's state (updating, paused, completed, rollback_started, …), or null when never updated. */
  updateState: string | null;
  updateMessage: string | null;
  version: number;
  labels: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** What the domain may ask an engine about swarm mode. Engine failures arrive as DomainErrors. */
export interface SwarmEngine extends SwarmServiceWrites {
  local(): Promise<LocalSwarmState>;
  inspect(): Promise<ClusterRecord>;
  init(req: SwarmInitRequest): Promise<string>;
  join(req: SwarmJoinRequest): Promise<void>;
  /** Leaves the swarm; the engine refuses a manager's leave that would lose quorum unless `force` (409 conflict). */
  leave(force: boolean): Promise<void>;
  /** Writes the cluster spec back at `version`, rotating the named tokens. */
  rotateTokens(version: number, spec: Record<string, unknown>, rotate: { worker: boolean; manager: boolean }): Promise<void>;
  listNodes(): Promise<SwarmNode[]>;
  inspectNode(id: string): Promise<SwarmNode>;
  /** The node's spec as the engine keeps it (passed back whole, with our change applied) and its version. */
  nodeSpec(id: string): Promise<{ version: number; spec: Record<string, unknown> }>;
  updateNode(id: string, version: number, spec: Record<string, unknown>): Promise<void>;
  listServices(): Promise<ServiceSummary[]>;
  inspectService(id: string): Promise<ServiceSummary>;
  removeService(id: string): Promise<void>;
}

/** A port a service publishes (ingress: on every node; host: on the node running the task). */
export interface ServicePort {
  target: number;
  published?: number;
  protocol: 'tcp' | 'udp';
  mode: 'ingress' | 'host';
}

/** How a rolling update (or its rollback) proceeds. Durations in milliseconds. */
export interface ServiceUpdatePolicy {
  parallelism?: number;
  delayMs?: number;
  failureAction?: 'pause' | 'continue' | 'rollback';
  monitorMs?: number;
  maxFailureRatio?: number;
  order?: 'start-first' | 'stop-first';
}

/** The allowlisted body of a service create, checked: the image pinned to a digest, bind sources resolved. */
export interface ServiceCreateSpec {
  name: string;
  /** `name:tag@sha256:…` (or `name@sha256:…`): every node runs the very same image. */
  image: string;
  mode: 'replicated' | 'global';
  replicas?: number;
  command?: string[];
  args?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  ports: ServicePort[];
  networks: string[];
  mounts: { type: 'bind' | 'volume'; source: string; target: string; readOnly: boolean }[];
  resources?: {
    limits?: { nanoCpus?: number; memoryBytes?: number };
    reservations?: { nanoCpus?: number; memoryBytes?: number };
  };
  constraints: string[];
  updateConfig?: ServiceUpdatePolicy;
  rollbackConfig?: ServiceUpdatePolicy;
  stopGracePeriodMs?: number;
}

/** What may change in a service's spec through an update or a scale. */
export interface ServiceChange {
  /** Pinned like a create's. */
  image?: string;
  /** Replaces the tasks' environment. */
  env?: Record<string, string>;
  /** Redeploys every task even without a spec change. */
  force?: boolean;
  replicas?: number;
}

/** The last rolling update as the engine reports it. */
export interface ServiceUpdateStatus {
  state: string;
  startedAt: string;
  message: string;
}

/** A service's spec as the engine keeps it (passed back whole on an update) with what a change job watches. */
export interface ServiceRecord {
  id: string;
  name: string;
  version: number;
  mode: 'replicated' | 'global';
  /** Replicated: the replicas asked for; global: the tasks the engine wants (one per eligible node). */
  desired: number;
  /** The update config's monitor period (the engine's default 5 s when unset). */
  monitorMs: number;
  updateStatus: ServiceUpdateStatus | null;
  /** The engine keeps the spec before the last change: a rollback is possible. */
  hasPreviousSpec: boolean;
  spec: Record<string, unknown>;
}

/** One task of a service: a slot (replicated) or a node (global) and the container that runs it. */
export interface ServiceTask {
  id: string;
  serviceId: string;
  /** Replicated services' slot number; null for a global service. */
  slot: number | null;
  nodeId: string;
  /** What the orchestrator wants (running, shutdown, …) and what the task is (new … running, failed, …). */
  desiredState: string;
  state: string;
  message: string;
  error: string | null;
  containerId: string | null;
  /** The task runs the service's current spec (the engine's `_up-to-date` filter). */
  upToDate: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The swarm calls the service changes and creates need, beside the reads of SwarmEngine. */
export interface SwarmServiceWrites {
  /** Creates the service; `registryAuth` lets every node pull a private image. Answers the new service's id. */
  createService(spec: ServiceCreateSpec, registryAuth?: RegistryAuth): Promise<string>;
  serviceRecord(id: string): Promise<ServiceRecord>;
  /** Writes `spec` (as read) with `change` applied, at `version`; the engine refuses a stale version. */
  updateService(id: string, version: number, spec: Record<string, unknown>, change: ServiceChange, registryAuth?: RegistryAuth): Promise<void>;
  /** Puts the previous spec back (the engine's `rollback=previous`). */
  rollbackService(id: string, version: number, spec: Record<string, unknown>): Promise<void>;
  /** The service's tasks, each marked up to date or not. */
  listTasks(serviceId: string): Promise<ServiceTask[]>;
  /** The service's recent output across its tasks (or one task's), each line naming its task and node (bounded like container logs). */
  serviceLogs(
    serviceId: string,
    q: ServiceLogQuery & { tail: number; timestamps: boolean },
  ): Promise<{ lines: ServiceLogLine[]; truncated: boolean }>;
  /** The same, followed: lines as the tasks write them (with timestamps), pulled at the consumer's pace. */
  followServiceLogs(serviceId: string, q: ServiceLogQuery): Promise<LiveStream<ServiceLogLine>>;
}

export interface ServiceLogQuery {
  /** Start this many lines back (per task); absent: from the start. */
  tail?: number;
  /** Unix seconds. */
  since?: number;
  /** Only this task's output (a task of the service: checked by the domain). */
  taskId?: string;
}

export interface ServiceLogLine {
  taskId: string;
  nodeId: string;
  stream: 'stdout' | 'stderr';
  timestamp: string | null;
  line: string;
}

/** Credentials for the nodes' pulls, as the stored registry login gives them. */
export interface RegistryAuth {
  serverAddress: string;
  username: string;
  password?: string;
  identityToken?: string;
}
