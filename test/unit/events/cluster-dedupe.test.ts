import { ClusterEventDedupe } from '../../../src/domain/events/cluster-dedupe';
import type { RawEngineEvent } from '../../../src/domain/events/engine-event';

const ev = (type: string, action: string, actorId: string, timeNano: string): RawEngineEvent => ({
  type,
  action,
  actorId,
  attributes: { name: 'web' },
  timeNano,
});

describe('ClusterEventDedupe', () => {
  test("when a second manager reports a service create or update at the same timeNano, then it is a copy; the first manager's is not", () => {
    const d = new ClusterEventDedupe();
    expect(d.isCopy('na', ev('service', 'create', 's1', '100'))).toBe(false);
    expect(d.isCopy('nb', ev('service', 'create', 's1', '100'))).toBe(true);
    expect(d.isCopy('nb', ev('service', 'update', 's1', '200'))).toBe(false);
    expect(d.isCopy('na', ev('service', 'update', 's1', '200'))).toBe(true);
    expect(d.dropped).toBe(2);
  });

  test('when a third manager reports it too, then that is a copy as well', () => {
    const d = new ClusterEventDedupe();
    expect(['na', 'nb', 'nc'].map((e) => d.isCopy(e, ev('node', 'update', 'n1', '5')))).toEqual([false, true, true]);
  });

  test('when the same object changes twice, then each change passes once, whichever manager reports it first', () => {
    const d = new ClusterEventDedupe();
    const seen = [
      ['na', ev('service', 'update', 's1', '1')],
      ['nb', ev('service', 'update', 's1', '2')],
      ['nb', ev('service', 'update', 's1', '1')],
      ['na', ev('service', 'update', 's1', '2')],
    ] as const;
    expect(seen.map(([engine, e]) => d.isCopy(engine, e))).toEqual([false, false, true, true]);
  });

  test("when managers report a remove at their own clocks' times, then the second is still a copy", () => {
    const d = new ClusterEventDedupe();
    expect(d.isCopy('na', ev('service', 'remove', 's1', '1796110659773543200'))).toBe(false);
    expect(d.isCopy('nb', ev('service', 'remove', 's1', '1796110659775356400'))).toBe(true);
  });

  test("when one engine repeats an event, or reports other types, then nothing is dropped (only another engine's copy is)", () => {
    const d = new ClusterEventDedupe();
    expect(d.isCopy('na', ev('service', 'update', 's1', '1'))).toBe(false);
    expect(d.isCopy('na', ev('service', 'update', 's1', '1'))).toBe(false);
    expect(d.isCopy('na', ev('container', 'start', 'c1', '1'))).toBe(false);
    expect(d.isCopy('nb', ev('container', 'start', 'c1', '1'))).toBe(false);
    expect(d.isCopy('nb', ev('network', 'create', 'x', '1'))).toBe(false);
  });

  test('when a copy comes after the window, then it passes again; the memory is bounded by maxKeys', () => {
    let now = 0;
    const d = new ClusterEventDedupe({ windowMs: 1000, maxKeys: 3 }, () => now);
    d.isCopy('na', ev('config', 'create', 'c1', '1'));
    now = 1500;
    expect(d.isCopy('nb', ev('config', 'create', 'c1', '1'))).toBe(false);
    for (let i = 0; i < 5; i++) d.isCopy('na', ev('secret', 'create', `s${i}`, '1'));
    // s0 was pushed out by s3 and s4 (3 keys kept): its copy passes; s4's is still known.
    expect(d.isCopy('nb', ev('secret', 'create', 's0', '1'))).toBe(false);
    expect(d.isCopy('nb', ev('secret', 'create', 's4', '1'))).toBe(true);
  });
});
