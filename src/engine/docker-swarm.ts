import type Docker from 'dockerode';
import type {
  ClusterRecord,
  LocalSwarmState,
  NodeAvailability,
  NodeRole,
  ServiceSummary,
  SwarmEngine,
  SwarmInitRequest,
  SwarmJoinRequest,
  SwarmNode,
  RegistryAuth,
  ServiceChange,
  ServiceCreateSpec,
  ServiceRecord,
  ServiceTask,
  ServiceUpdatePolicy,
} from '../domain/swarm/swarm';
import { encodeRegistryAuth } from './registry-auth';
import type { Readable } from 'node:stream';
import type { LogLine } from '../domain/containers/container-streams';
import type { ServiceLogLine, ServiceLogQuery } from '../domain/swarm/swarm';
import { LogDemuxer } from './log-demux';
import { MAX_LOG_CHARS } from './docker-container-repository';

import { DomainError } from '../domain/errors';
import { engineCall, engineMessage } from './engine-errors';
import type { LiveStream } from '../domain/containers/container-streams';
import { liveStream } from './live-stream';

/** The task attributes `details=true` puts before a service log line. */
const DETAILS = /^((?:com\.docker\.swarm\.[a-z.]+=[^,\s]*,?)+) /;

/** A line of `details=true` output: its task and node, and the line without the attributes. */
function serviceLine(l: LogLine): ServiceLogLine {
  const m = DETAILS.exec(l.line);
  const attrs = new Map((m?.[1] ?? '').split(',').map((kv) => kv.split('=', 2) as [string, string]));
  return {
    taskId: attrs.get('com.docker.swarm.task.id') ?? '',
    nodeId: attrs.get('com.docker.swarm.node.id') ?? '',
    stream: l.stream,
    timestamp: l.timestamp,
    line: m ? l.line.slice(m[0].length) : l.line,
  };
}

interface RawNode {
  ID: string;
  Version?: { Index?: number };
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

function nodeOf(n: RawNode): SwarmNode {
  return {
    id: n.ID,
    version: n.Version?.Index ?? 0,
    hostname: n.Description?.Hostname ?? '',
    role: (n.Spec?.Role ?? 'worker') as NodeRole,
    availability: (n.Spec?.Availability ?? 'active') as NodeAvailability,
    state: n.Status?.State ?? 'unknown',
    // A manager's status address is often 0.0.0.0; its manager address is the one it is reached at.
    address: n.ManagerStatus?.Addr?.replace(/:\d+$/, '') || n.Status?.Addr || '',
    leader: n.ManagerStatus?.Leader === true,
    ...(n.ManagerStatus?.Reachability ? { managerReachability: n.ManagerStatus.Reachability } : {}),
    engineVersion: n.Description?.Engine?.EngineVersion ?? '',
    labels: n.Spec?.Labels ?? {},
    createdAt: n.CreatedAt ?? '',
    updatedAt: n.UpdatedAt ?? '',
  };
}

interface RawService {
  ID: string;
  Version?: { Index?: number };
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: {
    Name?: string;
    Labels?: Record<string, string>;
    TaskTemplate?: { ContainerSpec?: { Image?: string } };
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
  };
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
  PreviousSpec?: object;
}

interface RawTask {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  UpdatedAt?: string;
  Status?: { State?: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
}

const MS = 1_000_000;

function policyOf(p: ServiceUpdatePolicy | undefined): Record<string, unknown> | undefined {
  if (!p) return undefined;
  return {
    ...(p.parallelism !== undefined ? { Parallelism: p.parallelism } : {}),
    ...(p.delayMs !== undefined ? { Delay: p.delayMs * MS } : {}),
    ...(p.failureAction ? { FailureAction: p.failureAction } : {}),
    ...(p.monitorMs !== undefined ? { Monitor: p.monitorMs * MS } : {}),
    ...(p.maxFailureRatio !== undefined ? { MaxFailureRatio: p.maxFailureRatio } : {}),
    ...(p.order ? { Order: p.order } : {}),
  };
}

const resourcesOf = (r: { nanoCpus?: number; memoryBytes?: number } | undefined) =>
  r
    ? { ...(r.nanoCpus !== undefined ? { NanoCPUs: r.nanoCpus } : {}), ...(r.memoryBytes !== undefined ? { MemoryBytes: r.memoryBytes } : {}) }
    : undefined;

const envList = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`);

/** The engine's ServiceSpec for an allowlisted create: nothing but what the domain checked reaches it. */
function engineSpecOf(s: ServiceCreateSpec): Record<string, unknown> {
  return {
    Name: s.name,
    Labels: s.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: s.image,
        ...(s.command ? { Command: s.command } : {}),
        ...(s.args ? { Args: s.args } : {}),
        Env: envList(s.env),
        Mounts: s.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
        ...(s.stopGracePeriodMs !== undefined ? { StopGracePeriod: s.stopGracePeriodMs * MS } : {}),
      },
      Resources: { Limits: resourcesOf(s.resources?.limits) ?? {}, Reservations: resourcesOf(s.resources?.reservations) ?? {} },
      Placement: { Constraints: s.constraints },
      Networks: s.networks.map((n) => ({ Target: n })),
      ForceUpdate: 0,
    },
    Mode: s.mode === 'global' ? { Global: {} } : { Replicated: { Replicas: s.replicas ?? 1 } },
    ...(s.updateConfig ? { UpdateConfig: policyOf(s.updateConfig) } : {}),
    ...(s.rollbackConfig ? { RollbackConfig: policyOf(s.rollbackConfig) } : {}),
    EndpointSpec: {
      Ports: s.ports.map((p) => ({ TargetPort: p.target, PublishedPort: p.published, Protocol: p.protocol, PublishMode: p.mode })),
    },
  };
}

function taskOf(t: RawTask, upToDate: boolean): ServiceTask {
  return {
    id: t.ID,
    serviceId: t.ServiceID ?? '',
    slot: t.Slot ?? null,
    nodeId: t.NodeID ?? '',
    desiredState: t.DesiredState ?? '',
    state: t.Status?.State ?? '',
    message: t.Status?.Message ?? '',
    error: t.Status?.Err || null,
    containerId: t.Status?.ContainerStatus?.ContainerID || null,
    upToDate,
    createdAt: t.CreatedAt ?? '',
    updatedAt: t.UpdatedAt ?? '',
  };
}

function serviceOf(s: RawService): ServiceSummary {
  const global = s.Spec?.Mode?.Global !== undefined;
  return {
    id: s.ID,
    name: s.Spec?.Name ?? '',
    image: s.Spec?.TaskTemplate?.ContainerSpec?.Image ?? '',
    mode: global ? 'global' : 'replicated',
    desired: s.ServiceStatus?.DesiredTasks ?? (global ? 0 : (s.Spec?.Mode?.Replicated?.Replicas ?? 0)),
    running: s.ServiceStatus?.RunningTasks ?? 0,
    updateState: s.UpdateStatus?.State ?? null,
    updateMessage: s.UpdateStatus?.Message ?? null,
    version: s.Version?.Index ?? 0,
    labels: s.Spec?.Labels ?? {},
    createdAt: s.CreatedAt ?? '',
    updatedAt: s.UpdatedAt ?? '',
  };
}

/**
 * The engine answers 503 to a swarm call it cannot make in its state (not in a swarm, a worker, a manager's leave
 * that would lose quorum): a state conflict, not an engine outage. The domain checks the state first; this is the race.
 */
const stateConflict = (err: unknown): never => {
  const status = (err as { statusCode?: number })?.statusCode;
  if (status === 503 || status === 406) throw new DomainError('conflict', engineMessage(err));
  throw err;
};

export class DockerSwarm implements SwarmEngine {
  constructor(
    private readonly docker: Docker,
    private readonly timeoutMs: number,
  ) {}

  private call<T>(fn: () => Promise<T>, notFound?: 'node_not_found' | 'service_not_found'): Promise<T> {
    return engineCall(() => fn().catch(stateConflict), { timeoutMs: this.timeoutMs, notFound });
  }

  async local(): Promise<LocalSwarmState> {
    const info = (await engineCall(() => this.docker.info(), { timeoutMs: this.timeoutMs })) as {
      Swarm?: {
        NodeID?: string;
        LocalNodeState?: string;
        ControlAvailable?: boolean;
        NodeAddr?: string;
        RemoteManagers?: { NodeID?: string; Addr?: string }[] | null;
        Nodes?: number;
        Managers?: number;
      };
    };
    const s = info.Swarm ?? {};
    return {
      nodeId: s.NodeID ?? '',
      state: s.LocalNodeState || 'inactive',
      manager: s.ControlAvailable === true,
      nodeAddr: s.NodeAddr ?? '',
      managerAddrs: (s.RemoteManagers ?? []).map((m) => m.Addr ?? '').filter(Boolean),
      nodes: s.Nodes ?? 0,
      managers: s.Managers ?? 0,
    };
  }

  async inspect(): Promise<ClusterRecord> {
    const s = (await this.call(() => this.docker.swarmInspect())) as {
      ID: string;
      CreatedAt?: string;
      UpdatedAt?: string;
      Version?: { Index?: number };
      Spec?: Record<string, unknown>;
      JoinTokens?: { Worker?: string; Manager?: string };
    };
    return {
      id: s.ID,
      createdAt: s.CreatedAt ?? '',
      updatedAt: s.UpdatedAt ?? '',
      version: s.Version?.Index ?? 0,
      spec: s.Spec ?? {},
      joinTokens: { worker: s.JoinTokens?.Worker ?? '', manager: s.JoinTokens?.Manager ?? '' },
    };
  }

  async init(req: SwarmInitRequest): Promise<string> {
    const body = { AdvertiseAddr: req.advertiseAddr, ListenAddr: req.listenAddr ?? '0.0.0.0:2377', ForceNewCluster: false };
    return (await this.call(() => this.docker.swarmInit(body))) as string;
  }

  async join(req: SwarmJoinRequest): Promise<void> {
    const body = {
      RemoteAddrs: req.remoteAddrs,
      JoinToken: req.joinToken,
      ListenAddr: req.listenAddr ?? '0.0.0.0:2377',
      ...(req.advertiseAddr ? { AdvertiseAddr: req.advertiseAddr } : {}),
    };
    await this.call(() => this.docker.swarmJoin(body));
  }

  async leave(force: boolean): Promise<void> {
    await this.call(() => this.docker.swarmLeave({ force }));
  }

  async rotateTokens(version: number, spec: Record<string, unknown>, rotate: { worker: boolean; manager: boolean }): Promise<void> {
    // dockerode sends plain options as both query and body: the engine wants the version in the query, the spec as body.
    const opts = { _query: { version, rotateWorkerToken: rotate.worker, rotateManagerToken: rotate.manager }, _body: spec };
    await this.call(() => this.docker.swarmUpdate(opts));
  }

  async listNodes(): Promise<SwarmNode[]> {
    const nodes = (await this.call(() => this.docker.listNodes())) as RawNode[];
    return nodes.map(nodeOf).sort((a, b) => a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
  }

  async inspectNode(id: string): Promise<SwarmNode> {
    return nodeOf((await this.call(() => this.docker.getNode(id).inspect(), 'node_not_found')) as RawNode);
  }

  async nodeSpec(id: string): Promise<{ version: number; spec: Record<string, unknown> }> {
    const n = (await this.call(() => this.docker.getNode(id).inspect(), 'node_not_found')) as RawNode;
    return { version: n.Version?.Index ?? 0, spec: n.Spec ?? {} };
  }

  async updateNode(id: string, version: number, spec: Record<string, unknown>): Promise<void> {
    await this.call(() => this.docker.getNode(id).update({ _query: { version }, _body: spec }), 'node_not_found');
  }

  async listServices(): Promise<ServiceSummary[]> {
    // status=true (API 1.41) has the engine count running and desired tasks: no task list per service.
    const list = (await this.call(() => this.docker.listServices({ status: true } as object))) as RawService[];
    return list.map(serviceOf).sort((a, b) => a.name.localeCompare(b.name));
  }

  async inspectService(id: string): Promise<ServiceSummary> {
    // Inspect has no task counts: the list, filtered to this id or name, has them.
    const byId = (await this.call(() => this.docker.listServices({ status: true, filters: { id: [id] } } as object))) as RawService[];
    const found = byId.find((s) => s.ID === id) ?? byId[0];
    if (found) return serviceOf(found);
    const byName = (await this.call(() => this.docker.listServices({ status: true, filters: { name: [id] } } as object))) as RawService[];
    const named = byName.find((s) => s.Spec?.Name === id);
    if (!named) throw new DomainError('service_not_found', `no service "${id}"`);
    return serviceOf(named);
  }

  async createService(spec: ServiceCreateSpec, registryAuth?: RegistryAuth): Promise<string> {
    const auth = registryAuth ? { base64: encodeRegistryAuth(registryAuth) } : undefined;
    const body = engineSpecOf(spec);
    const created = (await this.call(() => (auth ? this.docker.createService(auth, body) : this.docker.createService(body)))) as {
      ID?: string;
      id?: string;
    };
    return created.ID ?? created.id ?? '';
  }

  async serviceRecord(id: string): Promise<ServiceRecord> {
    const s = (await this.call(() => this.docker.getService(id).inspect(), 'service_not_found')) as RawService & { Spec?: Record<string, unknown> };
    const summary = await this.inspectService(s.ID);
    const spec = (s.Spec ?? {}) as Record<string, unknown> & { UpdateConfig?: { Monitor?: number } };
    return {
      id: s.ID,
      name: summary.name,
      version: s.Version?.Index ?? 0,
      mode: summary.mode,
      desired: summary.desired,
      monitorMs: spec.UpdateConfig?.Monitor !== undefined ? Math.round(spec.UpdateConfig.Monitor / MS) : 5000,
      updateStatus: s.UpdateStatus?.State
        ? { state: s.UpdateStatus.State, startedAt: s.UpdateStatus.StartedAt ?? '', message: s.UpdateStatus.Message ?? '' }
        : null,
      hasPreviousSpec: s.PreviousSpec !== undefined && s.PreviousSpec !== null,
      spec,
    };
  }

  async updateService(id: string, version: number, spec: Record<string, unknown>, change: ServiceChange, registryAuth?: RegistryAuth): Promise<void> {
    const next = structuredClone(spec) as {
      TaskTemplate?: { ContainerSpec?: { Image?: string; Env?: string[] }; ForceUpdate?: number };
      Mode?: { Replicated?: { Replicas?: number } };
    };
    const task = (next.TaskTemplate ??= {});
    const container = (task.ContainerSpec ??= {});
    if (change.image !== undefined) container.Image = change.image;
    if (change.env !== undefined) container.Env = envList(change.env);
    if (change.force) task.ForceUpdate = (task.ForceUpdate ?? 0) + 1;
    if (change.replicas !== undefined) {
      if (!next.Mode?.Replicated) throw new DomainError('invalid_request', 'a global service runs one task per node: it cannot be scaled');
      next.Mode.Replicated.Replicas = change.replicas;
    }
    const auth = registryAuth ? { base64: encodeRegistryAuth(registryAuth) } : undefined;
    // dockerode sends plain options as both query and body: the version goes in the query, the spec as body.
    const opts = { _query: { version }, _body: next };
    await this.call(
      () =>
        auth ? (this.docker.getService(id).update(auth, opts as never) as unknown as Promise<unknown>) : this.docker.getService(id).update(opts),
      'service_not_found',
    );
  }

  async rollbackService(id: string, version: number, spec: Record<string, unknown>): Promise<void> {
    const opts = { _query: { version, rollback: 'previous' }, _body: spec };
    await this.call(() => this.docker.getService(id).update(opts), 'service_not_found');
  }

  async listTasks(serviceId: string): Promise<ServiceTask[]> {
    const [all, current] = await Promise.all([
      this.call(() => this.docker.listTasks({ filters: { service: [serviceId] } } as object)) as Promise<RawTask[]>,
      this.call(() => this.docker.listTasks({ filters: { service: [serviceId], '_up-to-date': ['true'] } } as object)) as Promise<RawTask[]>,
    ]);
    const fresh = new Set(current.map((t) => t.ID));
    return all
      .map((t) => taskOf(t, fresh.has(t.ID)))
      .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || a.nodeId.localeCompare(b.nodeId) || b.createdAt.localeCompare(a.createdAt));
  }

  async serviceLogs(
    serviceId: string,
    q: ServiceLogQuery & { tail: number; timestamps: boolean },
  ): Promise<{ lines: ServiceLogLine[]; truncated: boolean }> {
    const stream = await this.openLogs(serviceId, q, false);
    const demux = new LogDemuxer(false, q.timestamps);
    const lines: ServiceLogLine[] = [];
    let chars = 0;
    let truncated = false;
    const keep = (batch: LogLine[]) => {
      for (const l of batch.map(serviceLine)) {
        if (chars + l.line.length > MAX_LOG_CHARS) {
          truncated = true;
          continue;
        }
        chars += l.line.length;
        lines.push(l);
      }
    };
    const timer = setTimeout(() => stream.destroy(new Error('timeout reading logs')), this.timeoutMs);
    try {
      for await (const chunk of stream) keep(demux.push(chunk as Buffer));
      keep(demux.end());
    } finally {
      clearTimeout(timer);
    }
    return { lines, truncated };
  }

  async followServiceLogs(serviceId: string, q: ServiceLogQuery): Promise<LiveStream<ServiceLogLine>> {
    const stream = await this.openLogs(serviceId, { ...q, timestamps: true }, true);
    const demux = new LogDemuxer(false, true);
    return liveStream(
      stream,
      (chunk) => demux.push(chunk).map(serviceLine),
      () => demux.end().map(serviceLine),
    );
  }

  /** `/services/{id}/logs`, or `/tasks/{id}/logs` for one of its tasks, with each line's task and node (`details`). */
  private openLogs(serviceId: string, q: ServiceLogQuery & { timestamps: boolean }, follow: boolean): Promise<Readable> {
    const options = {
      stdout: true,
      stderr: true,
      details: true,
      follow,
      timestamps: q.timestamps,
      ...(q.tail !== undefined ? { tail: q.tail } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
    };
    const path = q.taskId ? `/tasks/${q.taskId}/logs?` : `/services/${serviceId}/logs?`;
    return this.call(
      () =>
        new Promise<Readable>((resolve, reject) =>
          this.docker.modem.dial(
            {
              path,
              method: 'GET',
              isStream: true,
              statusCodes: { 200: true, 404: 'no such service or task', 500: 'server error', 503: 'node is not part of a swarm' },
              options,
            },
            (err: Error | null, data: unknown) => (err ? reject(err) : resolve(data as Readable)),
          ),
        ),
      'service_not_found',
    );
  }

  async removeService(id: string): Promise<void> {
    await this.call(() => this.docker.getService(id).remove(), 'service_not_found');
  }
}
