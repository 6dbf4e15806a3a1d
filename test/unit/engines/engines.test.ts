import { EngineDirectory } from '../../../src/domain/engines/engine-directory';
import { EngineMonitor } from '../../../src/domain/engines/engine-monitor';
import type { EngineStatus } from '../../../src/domain/engine-status';

const dir = new EngineDirectory(
  new Map([
    ['default', 'D'],
    ['edge-1', 'E1'],
    ['edge-2', 'E2'],
  ]),
);
const everyone = {};
const edgeOnly = { engines: ['edge-1'] };

describe('EngineDirectory', () => {
  test('when a token has no engine list, then it may use every engine; with one, only those, and the rest are engine_not_found', () => {
    expect(dir.visibleTo(everyone)).toEqual(['default', 'edge-1', 'edge-2']);
    expect(dir.visibleTo(edgeOnly)).toEqual(['edge-1']);
    expect(dir.get('edge-1', edgeOnly)).toBe('E1');
    expect(() => dir.get('default', edgeOnly)).toThrow(expect.objectContaining({ code: 'engine_not_found' }));
    expect(() => dir.get('nope', everyone)).toThrow(expect.objectContaining({ code: 'engine_not_found' }));
  });

  test('when an events filter names engines, then absent is default, * is every usable one, and an unusable one is refused', () => {
    expect(dir.eventEngines(undefined, everyone)).toEqual(['default']);
    expect(dir.eventEngines(['*'], edgeOnly)).toEqual(['edge-1']);
    expect(dir.eventEngines(['edge-2', 'edge-2'], everyone)).toEqual(['edge-2']);
    expect(() => dir.eventEngines(undefined, edgeOnly)).toThrow(expect.objectContaining({ code: 'engine_not_found' }));
    expect(() => dir.eventEngines(['edge-2'], edgeOnly)).toThrow(expect.objectContaining({ code: 'engine_not_found' }));
  });
});

const version = { version: '20.10.24', apiVersion: '1.41', minApiVersion: '1.12', os: 'linux', arch: 'amd64', kernelVersion: '6' };
const info = { id: 'X', hostname: 'h', swarm: 'inactive', containers: 0, images: 0 };

describe('EngineMonitor', () => {
  test('when one engine hangs, then the others answer at once and the hung one is down after the probe timeout, not its engine timeout', async () => {
    const up: EngineStatus = { ping: async () => undefined, version: async () => version, info: async () => info };
    const hung: EngineStatus = {
      ping: () => new Promise(() => undefined),
      version: () => new Promise(() => undefined),
      info: () => new Promise(() => undefined),
    };
    const m = new EngineMonitor(
      [
        { name: 'default', status: up, required: true, labels: {} },
        { name: 'stuck', status: hung, required: false, labels: {} },
      ],
      { probeTimeoutMs: 50 },
    );
    const t0 = Date.now();
    const fast = await m.report('default');
    expect(Date.now() - t0).toBeLessThan(40);
    expect(fast).toMatchObject({ status: 'up', version, info, error: null });
    const [, stuck] = await m.reports(['default', 'stuck']);
    expect(stuck).toMatchObject({ status: 'down', error: 'no answer within 50 ms', version: null });
    expect(m.lastKnown('stuck')).toBe('down');
  });

  test('when only its info is late, then the engine is up with the last info seen, after the probe timeout', async () => {
    let infoHangs = false;
    const busy: EngineStatus = {
      ping: async () => undefined,
      version: async () => version,
      info: () => (infoHangs ? new Promise(() => undefined) : Promise.resolve(info)),
    };
    let now = 1_000_000;
    const m = new EngineMonitor([{ name: 'default', status: busy, required: true, labels: {} }], { probeTimeoutMs: 50, now: () => now });
    const first = await m.report('default');
    expect(first).toMatchObject({ status: 'up', info, error: null });
    infoHangs = true;
    now += 5000;
    const t0 = Date.now();
    const second = await m.report('default');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(second).toMatchObject({ status: 'up', since: first.since, version, info, error: null });
    // Never having seen its info, an engine that answers its version is still up, with no info.
    const fresh = new EngineMonitor([{ name: 'default', status: busy, required: true, labels: {} }], { probeTimeoutMs: 50 });
    expect(await fresh.report('default')).toMatchObject({ status: 'up', version, info: null, error: null });
  });

  test('when an engine goes down and comes back, then `since` moves only on a change, answers are shared for the ttl, and a failure is not reused', async () => {
    let now = 1_000_000;
    let calls = 0;
    let failing = false;
    const status: EngineStatus = {
      ping: async () => undefined,
      version: async () => {
        calls++;
        if (failing) throw new Error('gone');
        return version;
      },
      info: async () => info,
    };
    const m = new EngineMonitor([{ name: 'default', status, required: true, labels: {} }], { ttlMs: 1000, now: () => now });
    const first = await m.report('default');
    now += 500;
    expect((await m.report('default')).since).toBe(first.since);
    expect(calls).toBe(1);
    now += 600;
    failing = true;
    const down = await m.report('default');
    expect(down.status).toBe('down');
    expect(down.since).not.toBe(first.since);
    failing = false;
    now += 1;
    const back = await m.report('default');
    expect(back.status).toBe('up');
    expect(calls).toBe(3);
  });
});
