import { CHANNEL_ROLES } from '../channel-roles';
import type { ContainerStreams } from '../../domain/containers/container-streams';
import { DomainError } from '../../domain/errors';
import type { SubscribeStats } from '../protocol';
import type { Channel, Subscription, SubscriptionSink } from '../subscription';
import { pump } from './logs-channel';

/** Resource samples of one container every `interval` seconds (the engine samples about once a second). */
export class StatsChannel implements Channel<SubscribeStats> {
  readonly role = CHANNEL_ROLES.stats;

  constructor(private readonly streams: ContainerStreams | undefined) {}

  async open(frame: SubscribeStats, sink: SubscriptionSink): Promise<Subscription> {
    if (!this.streams) throw new DomainError('engine_unavailable', 'this service has no container streams: stats cannot be followed');
    const interval = frame.interval ?? 1;
    const stream = await this.streams.streamStats(frame.container);
    sink.send('subscribed', { channel: 'stats', container: frame.container, interval });
    let last = Number.NEGATIVE_INFINITY;
    // Samples arrive about every second; a small slack keeps a 1 s interval from skipping every other one.
    const due = interval * 1000 - 200;
    void pump(
      stream,
      sink,
      (sample) => {
        if (Date.now() - last < due) return;
        last = Date.now();
        sink.send('stats', sample);
      },
      'container_removed',
    );
    return { close: () => stream.close() };
  }
}
