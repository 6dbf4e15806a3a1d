import type { EventFilters } from '../domain/events/event-filter';

/** Tells a cache when what the engine reports may have changed, and whether it is listening right now. */
export interface ChangeFeed {
  watch(onChange: () => void): { connected(): boolean };
}

type EngineEventLike = { type: string; action: string };

/** Container actions that change an image's container count; every image event may change shared sizes. */
const CONTAINER_ACTIONS = new Set(['create', 'destroy', 'commit', 'prune']);

/** What changes `/system/df` and the image list: image events, and containers created or removed. */
export const imageChanges = (e: EngineEventLike): boolean => e.type === 'image' || CONTAINER_ACTIONS.has(e.action);

/** What changes the container list: any container event (state, name, health), and image tags (its `image`). */
export const containerChanges = (e: EngineEventLike): boolean => e.type === 'container' || e.type === 'image';

/** A ChangeFeed on the service's one engine event stream (EventsHub). */
export function changesFromEvents(
  hub: {
    subscribe(filters: EventFilters, since: undefined, listener: (e: { event: EngineEventLike }) => void): unknown;
    readonly connected: boolean;
  },
  relevant: (e: EngineEventLike) => boolean = imageChanges,
): ChangeFeed {
  return {
    watch(onChange) {
      hub.subscribe({ type: ['image', 'container'] }, undefined, ({ event }) => {
        if (relevant(event)) onChange();
      });
      return { connected: () => hub.connected };
    },
  };
}

/**
 * The service's own writes to the engine, as changes: each counts when it starts and again when it ends, so a
 * read that overlapped a write is never kept, and a read after a write through this service never answers from
 * before it — without waiting for the write's event to come back on the stream.
 */
export class EngineWrites {
  private readonly listeners = new Set<() => void>();

  /** Called by the engine adapter at the start and at the end of every call that may change engine state. */
  changed(): void {
    for (const l of this.listeners) l();
  }

  /** `feed`'s changes and these writes together; connected as `feed` is. */
  and(feed: ChangeFeed): ChangeFeed {
    return {
      watch: (onChange) => {
        this.listeners.add(onChange);
        return feed.watch(onChange);
      },
    };
  }
}
