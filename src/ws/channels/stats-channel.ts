import { CHANNEL_ROLES } from '../channel-roles';
import type { ContainerStreams } from '../../domain/containers/container-streams';
import { DomainError } from '../../domain/errors';
import type { SubscribeStats } from '../protocol';
import type { Channel, Subscription, SubscriptionSink } from '../subscription';
import { DEFAULT_ENGINE } from '../../domain/engines/engine-directory';
import type { PerEngine } from '../per-engine';
import { pump } from './logs-channel';

/** Resource samples of one container every `interval` seconds (the engine samples about once a second). */
export class StatsChannel implements Channel<SubscribeStats> {
  readonly role = CHANNEL_ROLES.stats;

  /** `streams` gives an engine's container streams for a principal (engine_not_found when it may not use it). */
  constructor(private readonly streamsOf: PerEngine<ContainerStreams | undefined>) {}

  async open(frame: SubscribeStats, sink: SubscriptionSink): Promise<Subscription> {
    const streams = this.streamsOf(frame.engine ?? DEFAULT_ENGINE, sink.principal);
    if (!streams) throw new DomainError('engine_unavailable', 'this service has no container streams: stats cannot be followed');
    const interval = frame.interval ?? 1;
    const stream = await streams.streamStats(frame.container);
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
