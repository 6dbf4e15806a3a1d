import pino from 'pino';
import { EventsHub } from '../../../src/domain/events/events-hub';
import type { ContainerSnapshot, EngineEventStream, EventSource, ImageSnapshot, RawEngineEvent } from '../../../src/domain/events/engine-event';
import type { LoggedEvent } from '../../../src/domain/events/event-log';

/** An engine whose event stream the test drives: emit, drop the connection, change what a listing returns. */
class FakeEngine implements EventSource {
  containers: ContainerSnapshot[] = [];
  images: ImageSnapshot[] = [];
  up = true;
  opens: (string | undefined)[] = [];
  pingFails = false;
  private current: { onEvent: (e: RawEngineEvent) => void; end: () => void } | undefined;
  private clock = 1000n;

  async open(onEvent: (e: RawEngineEvent) => void, sinceNano?: string): Promise<EngineEventStream> {
    if (!this.up) throw new Error('engine down');
    this.opens.push(sinceNano);
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    this.current = { onEvent, end };
    return { ended, close: () => end() };
  }
  async ping(): Promise<void> {
    if (this.pingFails) throw new Error('no answer');
  }
  /** What the engine holds for a replay: every event emitted (or only held, see hold()). */
  history: RawEngineEvent[] = [];
  async replay(sinceNano: string, untilNano: string): Promise<RawEngineEvent[]> {
    return this.history.filter((e) => BigInt(e.timeNano) > BigInt(sinceNano) && BigInt(e.timeNano) <= BigInt(untilNano));
  }
  async listContainers() {
    return this.containers.map((c) => ({ ...c }));
  }
  async listImages() {
    return this.images;
  }
  emit(action: string, id: string, timeNano?: string): RawEngineEvent {
    const e = { type: 'container', action, actorId: id, attributes: { name: id, image: 'img' }, timeNano: timeNano ?? (this.clock += 1n).toString() };
    this.history.push(e);
    this.current?.onEvent(e);
    return e;
  }
  /** Any event, as given (a swarm event, say). */
  emitRaw(e: RawEngineEvent): void {
    this.history.push(e);
    this.current?.onEvent(e);
  }
  drop(): void {
    this.current?.end();
    this.current = undefined;
  }
  get connected(): boolean {
    return this.current !== undefined;
  }
}

/** Container events only: the hub's own `engine` connected/disconnected events are tested on their own below. */
const CONTAINERS = { type: ['container'] };

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition not reached');
};

describe('EventsHub', () => {
  let engine: FakeEngine;
  let hub: EventsHub;
  const got: LoggedEvent[] = [];
  const seen = () => got.map((e) => `${e.event.actorId}:${e.event.action}${e.event.reconciled ? '*' : ''}`);

  beforeEach(async () => {
    got.length = 0;
    engine = new FakeEngine();
    hub = new EventsHub(engine, pino({ level: 'silent' }), { minBackoffMs: 5, maxBackoffMs: 20, idleCheckMs: 40, pingTimeoutMs: 20 });
    hub.subscribe(CONTAINERS, undefined, (e) => got.push(e));
    await until(() => hub.connected);
  });
  afterEach(() => hub.close());

  test('when the engine emits, then subscribers get numbered events, serialized once', () => {
    engine.emit('create', 'a');
    engine.emit('start', 'a');
    expect(seen()).toEqual(['a:create', 'a:start']);
    expect(got[1].event.seq).toBe(got[0].event.seq + 1);
    expect(JSON.parse(got[1].json).action).toBe('start');
  });

  test('when the stream drops and the engine replays what we had, then nothing is repeated', async () => {
    const a = engine.emit('create', 'a');
    engine.containers = [{ id: 'a', name: 'a', image: 'img', state: 'created', labels: {} }];
    engine.drop();
    await until(() => engine.opens.length === 2 && hub.connected);
    expect(engine.opens[1]).toBe(a.timeNano);
    engine.emit('create', 'a', a.timeNano); // the replay of `since`
    engine.emit('start', 'a');
    expect(seen()).toEqual(['a:create', 'a:start']);
  });

  test('when the daemon restarted with changes nobody saw, then the listing turns them into reconciled events, once', async () => {
    engine.emit('create', 'a');
    engine.emit('create', 'b');
    engine.drop();
    engine.up = false;
    await new Promise((r) => setTimeout(r, 30));
    engine.containers = [{ id: 'b', name: 'b', image: 'img', state: 'running', labels: {} }];
    engine.up = true;
    await until(() => hub.connected);
    engine.emit('stop', 'b');
    expect(seen()).toEqual(['a:create', 'b:create', 'a:destroy*', 'b:start*', 'b:stop']);
    expect(got.map((e) => e.event.seq).every((seq, i, all) => i === 0 || seq > all[i - 1])).toBe(true);
  });

  test('when a client resumes with since, then it gets exactly what it missed; too old a since is resync_required', () => {
    for (const id of ['a', 'b', 'c']) engine.emit('create', id);
    const { replay, unsubscribe } = hub.subscribe({ container: ['b', 'c'] }, 1, () => undefined);
    expect(replay.map((e) => e.event.actorId)).toEqual(['b', 'c']);
    unsubscribe();
    expect(() => hub.subscribe({}, 99, () => undefined)).toThrow(expect.objectContaining({ code: 'resync_required' }));
  });

  test('when the stream is silent and the engine stops answering pings, then the hub reconnects', async () => {
    engine.pingFails = true;
    await until(() => engine.opens.length >= 2);
    engine.pingFails = false;
    await until(() => hub.connected);
    engine.emit('create', 'z');
    expect(seen()).toContain('z:create');
  });

  test('when closed, then the stream is released and no reconnect follows', async () => {
    await hub.close();
    expect(engine.connected).toBe(true); // the fake keeps the handle; what matters is no new open
    const opens = engine.opens.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(engine.opens.length).toBe(opens);
  });
});

describe('EventsHub: an outage longer than the engine can replay', () => {
  test('when the engine replays as many events as it can hold, then live subscribers get resync_required and old since is refused', async () => {
    const engine = new FakeEngine();
    const hub = new EventsHub(engine, pino({ level: 'silent' }), {
      minBackoffMs: 5,
      maxBackoffMs: 20,
      idleCheckMs: 1000,
      pingTimeoutMs: 20,
      engineReplayLimit: 3,
    });
    const got: LoggedEvent[] = [];
    const gaps: string[] = [];
    hub.subscribe(
      {},
      undefined,
      (e) => got.push(e),
      'admin',
      (err) => gaps.push(err.code),
    );
    try {
      await until(() => hub.connected);
      engine.emit('create', 'a');
      const before = hub.lastSeq;
      engine.drop();
      await until(() => engine.opens.length === 2 && hub.connected);
      // The engine's replay fills its whole buffer: what came before it is lost.
      engine.emit('create', 'b');
      engine.emit('create', 'c');
      expect(gaps).toEqual([]);
      engine.emit('create', 'd');
      expect(gaps).toEqual(['resync_required']);
      expect(() => hub.subscribe({}, before, () => undefined)).toThrow(expect.objectContaining({ code: 'resync_required' }));
      // A subscriber that starts afresh follows what comes next.
      const after: LoggedEvent[] = [];
      hub.subscribe(CONTAINERS, undefined, (e) => after.push(e));
      engine.emit('create', 'e');
      expect(after.map((e) => e.event.actorId)).toEqual(['e']);
    } finally {
      await hub.close();
    }
  });

  test('when a reconnect replays fewer events than the engine holds, then nothing is reported lost', async () => {
    const engine = new FakeEngine();
    const hub = new EventsHub(engine, pino({ level: 'silent' }), {
      minBackoffMs: 5,
      maxBackoffMs: 20,
      idleCheckMs: 1000,
      pingTimeoutMs: 20,
      engineReplayLimit: 3,
    });
    const gaps: string[] = [];
    hub.subscribe(
      {},
      undefined,
      () => undefined,
      'admin',
      (err) => gaps.push(err.code),
    );
    try {
      await until(() => hub.connected);
      engine.emit('create', 'a');
      engine.containers = [{ id: 'a', name: 'a', image: 'img', state: 'created', labels: {} }];
      const before = hub.lastSeq;
      engine.drop();
      await until(() => engine.opens.length === 2 && hub.connected);
      engine.emit('create', 'b');
      engine.emit('create', 'c');
      expect(gaps).toEqual([]);
      expect(hub.subscribe(CONTAINERS, before, () => undefined).replay.map((e) => e.event.actorId)).toEqual(['b', 'c']);
    } finally {
      await hub.close();
    }
  });
});

describe('EventsHub over several engines', () => {
  test('when two engines emit, then one sequence numbers both, each event names its engine, and the engine filter picks them', async () => {
    const a = new FakeEngine();
    const b = new FakeEngine();
    const hub = new EventsHub(
      [
        { engine: 'default', source: a },
        { engine: 'edge-1', source: b },
      ],
      pino({ level: 'silent' }),
      { minBackoffMs: 5, maxBackoffMs: 20, idleCheckMs: 1000, pingTimeoutMs: 20 },
    );
    const all: LoggedEvent[] = [];
    const onlyB: LoggedEvent[] = [];
    hub.subscribe(CONTAINERS, undefined, (e) => all.push(e));
    hub.forEngine('edge-1').subscribe(CONTAINERS, undefined, (e) => onlyB.push(e));
    try {
      await until(() => hub.isConnected('default') && hub.isConnected('edge-1'));
      a.emit('create', 'x');
      b.emit('create', 'y');
      a.emit('start', 'x');
      expect(all.map((e) => `${e.event.engine}/${e.event.actorId}:${e.event.action}`)).toEqual([
        'default/x:create',
        'edge-1/y:create',
        'default/x:start',
      ]);
      expect(all.map((e) => e.event.seq)).toEqual([all[0].event.seq, all[0].event.seq + 1, all[0].event.seq + 2]);
      expect(onlyB.map((e) => e.event.actorId)).toEqual(['y']);
      expect(hub.forEngine('edge-1').connected).toBe(true);
      // A resume from any seq works across engines.
      const { replay } = hub.subscribe({ ...CONTAINERS, engine: ['edge-1', 'default'] }, all[0].event.seq, () => undefined);
      expect(replay.map((e) => e.event.actorId)).toEqual(['y', 'x']);
    } finally {
      await hub.close();
    }
  });

  test('when two managers of one swarm report the same service event, then subscribers get it once, under the first reporter', async () => {
    const a = new FakeEngine();
    const b = new FakeEngine();
    const hub = new EventsHub(
      [
        { engine: 'na', source: a },
        { engine: 'nb', source: b },
      ],
      pino({ level: 'silent' }),
      { minBackoffMs: 5, maxBackoffMs: 20, idleCheckMs: 1000, pingTimeoutMs: 20 },
    );
    const got: LoggedEvent[] = [];
    hub.subscribe({ type: ['service'] }, undefined, (e) => got.push(e));
    try {
      await until(() => hub.isConnected('na') && hub.isConnected('nb'));
      const create = { type: 'service', action: 'create', actorId: 's1', attributes: { name: 'web' }, timeNano: '100' };
      a.emitRaw(create);
      b.emitRaw({ ...create });
      expect(got.map((e) => `${e.event.engine}/${e.event.action}`)).toEqual(['na/create']);
      expect(hub.stats.clusterCopies).toBe(1);
      expect(hub.query({ limit: 100, filters: { type: ['service'] } }, 'admin').items).toHaveLength(1);
    } finally {
      await hub.close();
    }
  });

  test('when an engine connects, drops and cannot be reached, then `engine` events say so once per change, and the others go on', async () => {
    const a = new FakeEngine();
    const b = new FakeEngine();
    const hub = new EventsHub(
      [
        { engine: 'default', source: a },
        { engine: 'edge-1', source: b },
      ],
      pino({ level: 'silent' }),
      { minBackoffMs: 5, maxBackoffMs: 20, idleCheckMs: 1000, pingTimeoutMs: 20 },
    );
    const changes: string[] = [];
    hub.subscribe({ type: ['engine'] }, undefined, (e) =>
      changes.push(`${e.event.actorId}:${e.event.action}${e.event.attributes.error ? ` (${e.event.attributes.error})` : ''}`),
    );
    const containers: string[] = [];
    hub.subscribe(CONTAINERS, undefined, (e) => containers.push(e.event.actorId));
    try {
      await until(() => hub.isConnected('default') && hub.isConnected('edge-1'));
      expect(changes.sort()).toEqual(['default:connected', 'edge-1:connected']);
      changes.length = 0;
      b.up = false;
      b.drop();
      await until(() => changes.length > 0);
      a.emit('create', 'still');
      await new Promise((r) => setTimeout(r, 60));
      // Reconnect attempts fail several times: one `disconnected`, with the reason, not one per attempt.
      expect(changes).toEqual(['edge-1:disconnected (the event stream ended)']);
      expect(containers).toEqual(['still']);
      expect(hub.feedStates().get('edge-1')).toEqual({ connected: false, since: expect.any(String), error: 'engine down' });
      b.up = true;
      await until(() => hub.isConnected('edge-1'));
      expect(changes).toEqual(['edge-1:disconnected (the event stream ended)', 'edge-1:connected']);
    } finally {
      await hub.close();
    }
  });
});
