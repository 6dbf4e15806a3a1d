import type { ReadOptions } from '../read-options';
/** What the service knows about containers, in its own words: the engine adapter implements the repository. */
import type { LogLine, LogQuery, StatsSample } from './container-streams';

export type ContainerStatus = 'created' | 'restarting' | 'running' | 'removing' | 'paused' | 'exited' | 'dead';

export interface ContainerPort {
  privatePort: number;
  publicPort?: number;
  type: string;
  ip?: string;
}

export interface ContainerSummary {
  id: string;
  names: string[];
  image: string;
  imageId: string;
  command: string;
  created: string;
  state: ContainerStatus;
  status: string;
  ports: ContainerPort[];
  labels: Record<string, string>;
  sizeRw?: number;
  sizeRootFs?: number;
}

export interface ContainerListQuery {
  all: boolean;
  size: boolean;
  label?: string[];
  status?: ContainerStatus[];
  name?: string[];
  ancestor?: string[];
  id?: string[];
  network?: string[];
}

export interface ContainerState {
  status: ContainerStatus;
  running: boolean;
  paused: boolean;
  restarting: boolean;
  oomKilled: boolean;
  dead: boolean;
  pid: number;
  exitCode: number;
  error: string;
  startedAt: string | null;
  finishedAt: string | null;
  health?: string;
}

export interface RestartPolicy {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  maximumRetryCount?: number;
}

export interface ContainerDetails {
  id: string;
  name: string;
  image: string;
  imageId: string;
  created: string;
  state: ContainerState;
  restartCount: number;
  config: {
    hostname: string;
    user: string;
    env: string[];
    cmd: string[] | null;
    entrypoint: string[] | null;
    workingDir: string;
    labels: Record<string, string>;
    tty: boolean;
    openStdin: boolean;
    exposedPorts: string[];
  };
  hostConfig: { networkMode: string; restartPolicy: RestartPolicy; memory: number; cpus: number };
  networkSettings: {
    ipAddress: string;
    gateway: string;
    networks: Record<string, { networkId: string; ipAddress: string; gateway: string; macAddress: string }>;
  };
  ports: { containerPort: number; protocol: string; hostIp: string; hostPort: number | null }[];
  mounts: { type: string; name?: string; source: string; destination: string; readOnly: boolean }[];
  envRedacted: boolean;
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

/**
 * A container to create, already checked against the create policy: everything the engine will be asked
 * for is here, and nothing else can be.
 */
export interface ContainerSpec {
  /** The engine name of the image (normalized reference or id). */
  image: string;
  name?: string;
  cmd?: string[];
  entrypoint?: string[];
  env: string[];
  workingDir?: string;
  labels: Record<string, string>;
  ports: { containerPort: number; protocol: PortProtocol; hostPort?: number; hostIp?: string }[];
  restartPolicy?: RestartPolicy;
  volumes: { name: string; target: string; readOnly: boolean }[];
  binds: { source: string; target: string; readOnly: boolean }[];
  network?: string;
  memory?: number;
  nanoCpus?: number;
  tty: boolean;
  openStdin: boolean;
  /** HostConfig.SecurityOpt `no-new-privileges`. */
  noNewPrivileges: boolean;
  /** HostConfig.PidsLimit; absent: unlimited. */
  pidsLimit?: number;
}

export type LifecycleAction = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause';

export interface ActionResult {
  /** False when the container already was in the asked-for state. */
  changed: boolean;
}

export interface LogsResult {
  lines: LogLine[];
  truncated: boolean;
  tty: boolean;
}

/** The engine's containers. Every `ref` has been validated (parseContainerRef) before it gets here. */
export interface ContainerRepository {
  list(query: ContainerListQuery, read?: ReadOptions): Promise<ContainerSummary[]>;
  /** Throws container_not_found. `envRedacted` is always false here: redaction is the service's rule. */
  inspect(ref: string): Promise<ContainerDetails>;
  imageExists(image: string): Promise<boolean>;
  /** Returns the new container's id. Throws name_conflict, image_not_found. */
  create(spec: ContainerSpec): Promise<string>;
  /** Throws the engine's start failure as is (port clashes surface here). */
  start(ref: string): Promise<ActionResult>;
  stop(ref: string, timeoutSeconds?: number): Promise<ActionResult>;
  restart(ref: string, timeoutSeconds?: number): Promise<ActionResult>;
  kill(ref: string, signal?: string): Promise<ActionResult>;
  pause(ref: string): Promise<ActionResult>;
  unpause(ref: string): Promise<ActionResult>;
  rename(ref: string, name: string): Promise<void>;
  /** Throws container_running when it runs and `force` is false. */
  remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void>;
  /** True when some host port of `ports` is already taken (by another container, or on the engine's host). */
  hostPortsTaken(ports: ContainerSpec['ports']): Promise<{ hostPort: number; protocol: string }[]>;
  logs(ref: string, query: LogQuery): Promise<LogsResult>;
  stats(ref: string): Promise<StatsSample>;
}

/** A container as the spec that would create it again, for a recreate. */
export interface ContainerReplica {
  id: string;
  name: string;
  running: boolean;
  /** The image the container runs (its id), for telling whether a replacement runs a newer one. */
  imageId: string;
  spec: ContainerSpec;
  /** The container (or its image) has a healthcheck: a replacement must become healthy. */
  healthcheck: boolean;
}

/** Reads a container back as a create spec (the engine adapter subtracts what came from the image). */
export interface ContainerReplicas {
  /** Throws container_not_found. */
  replicaOf(ref: string): Promise<ContainerReplica>;
}
