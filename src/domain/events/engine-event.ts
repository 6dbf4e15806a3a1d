/**
 * Engine events in our own words. The adapter (src/engine/docker-event-source.ts) turns the engine's
 * `/events` lines into RawEngineEvent; the hub numbers them and keeps a bounded history.
 */
/** The engine's own event types, and `engine` (the service's: an engine's stream `connected` / `disconnected`). */
export const EVENT_TYPES = [
  'container',
  'image',
  'volume',
  'network',
  'daemon',
  'plugin',
  'node',
  'service',
  'secret',
  'config',
  'builder',
  'engine',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface RawEngineEvent {
  type: string;
  /** `create`, `start`, `die`, `destroy`, `pull`, `tag`, … (exec and health actions carry a suffix: `health_status: healthy`). */
  action: string;
  /** Container id, image id or reference, network id …, as the engine names the actor. */
  actorId: string;
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch, as a decimal string (too large for a number). */
  timeNano: string;
}

export interface EngineEvent {
  /** Our own sequence number: strictly increasing for the life of the process across every engine, never reused. */
  seq: number;
  /** The engine it happened on (`default`: DOCKER_HOST). */
  engine: string;
  type: string;
  action: string;
  actorId: string;
  attributes: Record<string, string>;
  /** ISO 8601 with milliseconds. */
  time: string;
  timeNano: string;
  /**
   * True for events we made up after a reconnect, by comparing a fresh listing with what we knew:
   * the change happened while the engine stream was down, at some time before `time`.
   */
  reconciled: boolean;
}

/** What the hub knows of one container, enough to tell what changed while it was not listening. */
export interface ContainerSnapshot {
  id: string;
  name: string;
  image: string;
  /** created | running | paused | restarting | removing | exited | dead */
  state: string;
  labels: Record<string, string>;
}

export interface ImageSnapshot {
  id: string;
  tags: string[];
}

/** A live connection to the engine's event stream. */
export interface EngineEventStream {
  /** Resolves when the stream ends, for whatever reason (daemon shutdown, socket error, close()). */
  readonly ended: Promise<void>;
  close(): void;
}

/** The engine side of the events hub: implemented by the dockerode adapter, faked in unit tests. */
export interface EventSource {
  /**
   * Opens `/events`, replaying from `sinceNano` when given (the daemon keeps only its last few hundred events,
   * and none across a restart). Rejects with a DomainError when the engine cannot be reached.
   */
  open(onEvent: (e: RawEngineEvent) => void, sinceNano?: string): Promise<EngineEventStream>;
  /** Cheap liveness check used while the stream is silent. */
  ping(): Promise<void>;
  /**
   * The events the engine still holds in (sinceNano, untilNano], read on a connection of their own: while the main
   * stream is silent, this tells a quiet engine (nothing) from a stream that stopped delivering (events it lacks).
   */
  replay(sinceNano: string, untilNano: string): Promise<RawEngineEvent[]>;
  listContainers(): Promise<ContainerSnapshot[]>;
  listImages(): Promise<ImageSnapshot[]>;
}
