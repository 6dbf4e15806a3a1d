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
} from '../domain/swarm/swarm';
import { DomainError } from '../domain/errors';
import { engineCall, engineMessage } from './engine-errors';

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
  UpdateStatus?: { State?: string; Message?: string };
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

  async removeService(id: string): Promise<void> {
    await this.call(() => this.docker.getService(id).remove(), 'service_not_found');
  }
}
