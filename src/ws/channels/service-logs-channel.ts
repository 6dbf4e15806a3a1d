import { CHANNEL_ROLES } from '../channel-roles';
import { DomainError } from '../../domain/errors';
import type { SubscribeServiceLogs } from '../protocol';
import type { Channel, Subscription, SubscriptionSink } from '../subscription';
import { DEFAULT_ENGINE } from '../../domain/engines/engine-directory';
import type { PerEngine } from '../per-engine';
import type { SwarmService } from '../../domain/swarm/swarm-service';
import type { Principal } from '../../domain/auth/tokens';
import { pump } from './logs-channel';

/** Without `tail` or `since`, a follow starts from this many lines back per task, not from the tasks' whole history. */
const DEFAULT_TAIL = 100;

/**
 * A swarm service's output (or one of its tasks'), followed: one `log` frame per line as the tasks write it, each
 * naming its task, node and the registered engine that is that node. Asked of the manager `engine`, which gathers
 * the lines from every node; pulled at the client's pace like container logs. `end` with `service_removed` when
 * the engine closes the stream (the service was removed).
 */
export class ServiceLogsChannel implements Channel<SubscribeServiceLogs> {
  readonly role = CHANNEL_ROLES['service-logs'];

  /**
   * @param swarmOf an engine's swarm for a principal (engine_not_found when it may not use it); undefined: no swarm here.
   * @param nodeEngines node id → the registered engine that is that node, over the engines the principal may use.
   */
  constructor(
    private readonly swarmOf: PerEngine<SwarmService | undefined>,
    private readonly nodeEngines: (principal: Principal) => Promise<Map<string, string>>,
  ) {}

  async open(frame: SubscribeServiceLogs, sink: SubscriptionSink): Promise<Subscription> {
    const swarm = this.swarmOf(frame.engine ?? DEFAULT_ENGINE, sink.principal);
    if (!swarm) throw new DomainError('engine_unavailable', 'this service has no swarm access: service logs cannot be followed');
    const tail = frame.tail ?? (frame.since === undefined ? DEFAULT_TAIL : undefined);
    const [stream, owners] = await Promise.all([
      swarm.followServiceLogs(frame.service, {
        ...(tail !== undefined ? { tail } : {}),
        ...(frame.since !== undefined ? { since: frame.since } : {}),
        ...(frame.task !== undefined ? { taskId: frame.task } : {}),
      }),
      this.nodeEngines(sink.principal),
    ]);
    sink.send('subscribed', {
      channel: 'service-logs',
      service: frame.service,
      ...(frame.task !== undefined ? { task: frame.task } : {}),
      ...(tail !== undefined ? { tail } : {}),
      ...(frame.since !== undefined ? { since: frame.since } : {}),
    });
    void pump(stream, sink, (line) => sink.send('log', { ...line, engine: owners.get(line.nodeId) ?? null }), 'service_removed');
    return { close: () => stream.close() };
  }
}
