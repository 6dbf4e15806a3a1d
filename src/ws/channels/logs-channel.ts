import { CHANNEL_ROLES } from '../channel-roles';
import type { ContainerStreams, LiveStream, LogLine } from '../../domain/containers/container-streams';
import { DomainError, isDomainError } from '../../domain/errors';
import type { SubscribeLogs } from '../protocol';
import type { Channel, Subscription, SubscriptionSink } from '../subscription';
import { DEFAULT_ENGINE } from '../../domain/engines/engine-directory';
import type { PerEngine } from '../per-engine';

/** Without `tail` or `since`, a follow starts from this many lines back, not from the container's whole history. */
const DEFAULT_TAIL = 100;

/** A container's output, demultiplexed, one frame per line; `end` when the container stops. */
export class LogsChannel implements Channel<SubscribeLogs> {
  readonly role = CHANNEL_ROLES.logs;

  /** `streams` gives an engine's container streams for a principal (engine_not_found when it may not use it). */
  constructor(private readonly streamsOf: PerEngine<ContainerStreams | undefined>) {}

  async open(frame: SubscribeLogs, sink: SubscriptionSink): Promise<Subscription> {
    const streams = this.streamsOf(frame.engine ?? DEFAULT_ENGINE, sink.principal);
    if (!streams) throw new DomainError('engine_unavailable', 'this service has no container streams: logs cannot be followed');
    const tail = frame.tail ?? (frame.since === undefined ? DEFAULT_TAIL : undefined);
    const stream = await streams.followLogs(frame.container, { tail, since: frame.since, stdout: true, stderr: true, timestamps: true });
    sink.send('subscribed', {
      channel: 'logs',
      container: frame.container,
      ...(tail !== undefined ? { tail } : {}),
      ...(frame.since !== undefined ? { since: frame.since } : {}),
    });
    void pump(stream, sink, (line) => sink.send('log', line), 'container_stopped');
    return { close: () => stream.close() };
  }
}

/**
 * Pulls from a live stream at the pace the client reads: while the socket holds unsent bytes the pump waits,
 * so the engine connection is what buffers (and the engine applies backpressure), never our memory.
 */
export async function pump<T>(stream: LiveStream<T>, sink: SubscriptionSink, send: (item: T) => void, endReason: string): Promise<void> {
  try {
    for await (const item of stream) {
      if (!sink.isOpen) break;
      await sink.drained();
      if (!sink.isOpen) break;
      send(item);
    }
    if (sink.isOpen) sink.end({ reason: endReason });
  } catch (err) {
    if (sink.isOpen) sink.fail(isDomainError(err) ? err : new DomainError('engine_error', 'the engine stream failed'));
  } finally {
    stream.close();
  }
}

export type { LogLine };
