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
export interface SwarmEngine {
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
