import { DomainError, isDomainError } from '../errors';
import type { LiveStream } from '../containers/container-streams';
import type {
  JoinTokens,
  LocalSwarmState,
  NodeSpecChange,
  ServiceSummary,
  ServiceTask,
  ServiceLogLine,
  ServiceLogQuery,
  SwarmEngine,
  SwarmInitRequest,
  SwarmJoinRequest,
  SwarmNode,
} from './swarm';

/** What a client may see of a swarm: never its join tokens. */
export interface SwarmState {
  id: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** This engine's own node in the swarm. */
  nodeId: string;
  nodes: { total: number; managers: number; workers: number; ready: number };
}

/** A task id as the engine makes them (25 lower-case letters and digits). */
const TASK_ID = /^[a-z0-9]{25}$/;

/** A node id or name as the engine accepts it: anything else is refused before it reaches a URL path. */
const NODE_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export function checkNodeId(id: string): string {
  if (!NODE_ID.test(id)) throw new DomainError('invalid_identifier', `"${id.slice(0, 64)}" is not a valid node id`);
  return id;
}

export function checkServiceId(id: string): string {
  if (!NODE_ID.test(id)) throw new DomainError('invalid_identifier', `"${id.slice(0, 64)}" is not a valid service id or name`);
  return id;
}

/** One engine's swarm: its lifecycle, join tokens and nodes. */
export class SwarmService {
  constructor(private readonly engine: SwarmEngine) {}

  /** This engine's place in a swarm, without asking the cluster (any node answers). */
  local(): Promise<LocalSwarmState> {
    return this.engine.local();
  }

  /** The engine is an active manager, or 409 swarm_inactive / not_swarm_manager. */
  async requireManager(): Promise<LocalSwarmState> {
    const local = await this.engine.local();
    if (local.state !== 'active' && local.state !== 'locked') {
      throw new DomainError('swarm_inactive', `this engine is not part of a swarm (its swarm state is ${local.state})`);
    }
    if (!local.manager) throw new DomainError('not_swarm_manager', 'this engine is a swarm worker: only a manager answers for the cluster');
    return local;
  }

  async state(): Promise<SwarmState> {
    const local = await this.requireManager();
    const [cluster, nodes] = await Promise.all([this.engine.inspect(), this.engine.listNodes()]);
    const managers = nodes.filter((n) => n.role === 'manager').length;
    return {
      id: cluster.id,
      createdAt: cluster.createdAt,
      updatedAt: cluster.updatedAt,
      version: cluster.version,
      nodeId: local.nodeId,
      nodes: { total: nodes.length, managers, workers: nodes.length - managers, ready: nodes.filter((n) => n.state === 'ready').length },
    };
  }

  /** Makes this engine the first manager of a new swarm. */
  async init(req: SwarmInitRequest): Promise<SwarmState> {
    const local = await this.engine.local();
    if (local.state !== 'inactive') throw new DomainError('swarm_already_active', `this engine is already part of a swarm (${local.state})`);
    await this.engine.init(req);
    return this.state();
  }

  /** Joins this engine into a swarm with a token and managers' addresses. */
  async join(req: SwarmJoinRequest): Promise<LocalSwarmState> {
    const local = await this.engine.local();
    if (local.state !== 'inactive') throw new DomainError('swarm_already_active', `this engine is already part of a swarm (${local.state})`);
    await this.engine.join(req);
    return this.engine.local();
  }

  /**
   * What another engine needs to join this swarm: a token and this manager's address. For the service's own use
   * (a join between two registered engines): the token never goes back to the client.
   */
  async invitation(role: 'worker' | 'manager'): Promise<{ joinToken: string; remoteAddrs: string[] }> {
    const local = await this.requireManager();
    const cluster = await this.engine.inspect();
    const addrs = local.managerAddrs.length > 0 ? local.managerAddrs : [`${local.nodeAddr}:2377`];
    return { joinToken: cluster.joinTokens[role], remoteAddrs: addrs };
  }

  /** Leaves the swarm. The last manager leaving ends the swarm and its services: only with `force`. */
  async leave(force: boolean): Promise<void> {
    const local = await this.engine.local();
    if (local.state === 'inactive') throw new DomainError('swarm_inactive', 'this engine is not part of a swarm');
    if (local.manager && local.managers <= 1 && !force) {
      throw new DomainError(
        'swarm_last_manager',
        'this engine is the last manager of its swarm: leaving ends the swarm and its services; confirm with force=true',
      );
    }
    await this.engine.leave(force || local.manager);
  }

  async joinTokens(): Promise<JoinTokens> {
    await this.requireManager();
    return (await this.engine.inspect()).joinTokens;
  }

  /** New join tokens: the old ones stop working; nodes already joined are not affected. One retry on a version race. */
  async rotateJoinTokens(rotate: { worker: boolean; manager: boolean }): Promise<JoinTokens> {
    await this.requireManager();
    await this.retryingOnce(
      async () => {
        const c = await this.engine.inspect();
        return { version: c.version, write: () => this.engine.rotateTokens(c.version, c.spec, rotate) };
      },
      async () => (await this.engine.inspect()).version,
    );
    return (await this.engine.inspect()).joinTokens;
  }

  async listNodes(): Promise<SwarmNode[]> {
    await this.requireManager();
    return this.engine.listNodes();
  }

  async inspectNode(id: string): Promise<SwarmNode> {
    checkNodeId(id);
    await this.requireManager();
    return this.engine.inspectNode(id);
  }

  async listServices(): Promise<ServiceSummary[]> {
    await this.requireManager();
    return this.engine.listServices();
  }

  async inspectService(id: string): Promise<ServiceSummary> {
    checkServiceId(id);
    await this.requireManager();
    return this.engine.inspectService(id);
  }

  /** The service's tasks, newest first within a slot (the current one and those it replaced). */
  async listTasks(id: string): Promise<ServiceTask[]> {
    checkServiceId(id);
    await this.requireManager();
    const service = await this.engine.inspectService(id);
    return this.engine.listTasks(service.id);
  }

  /** The service's recent output across its tasks (replicas on every node), or one task's, each line naming its task and node. */
  async serviceLogs(
    id: string,
    q: ServiceLogQuery & { tail: number; timestamps: boolean },
  ): Promise<{ lines: ServiceLogLine[]; truncated: boolean }> {
    return this.engine.serviceLogs(await this.logTarget(id, q.taskId), q);
  }

  /**
   * The same, followed as the tasks write (the WebSocket `service-logs` channel). The engine breaks the stream off
   * when the service is removed: the stream then simply ends; any other failure is the stream's error.
   */
  async followServiceLogs(id: string, q: ServiceLogQuery): Promise<LiveStream<ServiceLogLine>> {
    const serviceId = await this.logTarget(id, q.taskId);
    const stream = await this.engine.followServiceLogs(serviceId, q);
    const engine = this.engine;
    async function* lines(): AsyncGenerator<ServiceLogLine> {
      try {
        for await (const line of stream) yield line;
      } catch (err) {
        const gone = await engine.inspectService(serviceId).then(
          () => false,
          (e: unknown) => isDomainError(e) && e.code === 'service_not_found',
        );
        if (!gone) throw err;
      }
    }
    const iterator = lines();
    return { [Symbol.asyncIterator]: () => iterator, close: () => stream.close() };
  }

  /** The service's id; a task named must be one of its tasks (`task_not_found` otherwise, before any log is read). */
  private async logTarget(id: string, taskId: string | undefined): Promise<string> {
    checkServiceId(id);
    if (taskId !== undefined && !TASK_ID.test(taskId)) throw new DomainError('invalid_identifier', `"${taskId.slice(0, 64)}" is not a valid task id`);
    await this.requireManager();
    const service = await this.engine.inspectService(id);
    if (taskId !== undefined && !(await this.engine.listTasks(service.id)).some((t) => t.id === taskId)) {
      throw new DomainError('task_not_found', `service "${id}" has no task "${taskId}"`, { task: taskId });
    }
    return service.id;
  }

  /** Removes the service; its tasks' containers are stopped and removed by the engine. */
  async removeService(id: string): Promise<void> {
    checkServiceId(id);
    await this.requireManager();
    await this.engine.removeService(id);
  }

  /**
   * Changes a node's availability, role or labels (labels replace the node's labels). With `expectedVersion`, a node
   * changed since (its version moved) is refused with 409 version_conflict; without it, a race with another writer is
   * retried once on the node as it is then.
   */
  async updateNode(id: string, change: NodeSpecChange, expectedVersion?: number): Promise<SwarmNode> {
    checkNodeId(id);
    await this.requireManager();
    await this.retryingOnce(
      async () => {
        const { version, spec } = await this.engine.nodeSpec(id);
        if (expectedVersion !== undefined && version !== expectedVersion) {
          throw new DomainError('version_conflict', `node ${id} is at version ${version}, not ${expectedVersion}: read it again`, { version });
        }
        const next: Record<string, unknown> = { ...spec };
        if (change.availability) next.Availability = change.availability;
        if (change.role) next.Role = change.role;
        if (change.labels) next.Labels = change.labels;
        return { version, write: () => this.engine.updateNode(id, version, next) };
      },
      async () => (await this.engine.nodeSpec(id)).version,
      expectedVersion === undefined,
    );
    return this.engine.inspectNode(id);
  }

  /**
   * The engine's version race: a write at a version someone else moved past fails (the engine says so only in text).
   * When the failed write's version is no longer the current one, the race is the reason: read again and write once
   * more; a second race is 409 version_conflict.
   */
  private async retryingOnce(
    prepare: () => Promise<{ version: number; write: () => Promise<void> }>,
    currentVersion: () => Promise<number>,
    retry = true,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { version, write } = await prepare();
      try {
        await write();
        return;
      } catch (err) {
        const now = await currentVersion().catch(() => version);
        if (now === version) throw err;
        if (!retry || attempt >= 2)
          throw new DomainError('version_conflict', `changed by another writer meanwhile (version ${version} → ${now})`, { version: now });
      }
    }
  }
}
