import { CHANNEL_ROLES } from '../channel-roles';
import type { EventsHub } from '../../domain/events/events-hub';
import type { SubscribeEvents } from '../protocol';
import type { Principal } from '../../domain/auth/tokens';
import type { Channel, Subscription, SubscriptionSink } from '../subscription';

/**
 * Engine events. Frames carry the event's own sequence number as `seq` (global, resumable): a client that
 * reconnects subscribes with `since: <last seq it saw>` and gets exactly what it missed.
 */
export class EventsChannel implements Channel<SubscribeEvents> {
  readonly role = CHANNEL_ROLES.events;

  /** `enginesFor` turns the frame's `engine` filter into the engines read (absent: default; `*`: every usable one). */
  constructor(
    private readonly hub: EventsHub,
    private readonly enginesFor: (requested: string[] | undefined, principal: Principal) => string[],
  ) {}

  open(frame: SubscribeEvents, sink: SubscriptionSink): Subscription {
    const filters = { ...frame.filters, engine: this.enginesFor(frame.filters?.engine, sink.principal) };
    // subscribe() replays and registers in one turn; frames below go out before any live event can.
    const { replay, unsubscribe } = this.hub.subscribe(
      filters,
      frame.since,
      (e) => {
        if (!sink.send('event', null, { seq: e.event.seq, raw: e.json })) unsubscribe();
      },
      sink.principal.role,
      // The engine lost events while its stream was down: the client hears it now, never a silent gap.
      (err) => sink.fail(err, this.hub.lastSeq),
    );
    const from = frame.since ?? this.hub.lastSeq;
    sink.send(
      'subscribed',
      {
        channel: 'events',
        filters,
        since: from,
        lastSeq: this.hub.lastSeq,
        oldestSeq: this.hub.oldestSeq,
        replayed: replay.length,
        engineConnected: this.hub.connected,
      },
      { seq: from },
    );
    for (const e of replay) {
      if (!sink.send('event', null, { seq: e.event.seq, raw: e.json })) break;
    }
    return { close: unsubscribe };
  }
}
