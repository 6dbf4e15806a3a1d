import { EventLog } from '../../../src/domain/events/event-log';
import { isDomainError } from '../../../src/domain/errors';

const ev = (action: string) => ({
  type: 'container',
  action,
  actorId: 'abc',
  attributes: {},
  time: '2026-01-01T00:00:00.000Z',
  timeNano: '1',
  engine: 'default',
  reconciled: false,
});

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return isDomainError(e) ? e.code : 'not a domain error';
  }
};

describe('EventLog', () => {
  test('when events are appended, then they get strictly increasing sequence numbers from 1', () => {
    const log = new EventLog(10);
    expect([log.append(ev('a')), log.append(ev('b'))].map((e) => e.event.seq)).toEqual([1, 2]);
    expect(log.lastSeq).toBe(2);
  });

  test('when asked after a sequence number, then exactly the later events come back, oldest first', () => {
    const log = new EventLog(10);
    for (const a of ['a', 'b', 'c', 'd']) log.append(ev(a));
    expect(log.after(2).map((e) => e.event.action)).toEqual(['c', 'd']);
    expect(log.after(4)).toEqual([]);
    expect(log.after(0).map((e) => e.event.seq)).toEqual([1, 2, 3, 4]);
  });

  test('when the ring wraps, then only the newest capacity events are held and older since needs a resync', () => {
    const log = new EventLog(3);
    for (let i = 0; i < 7; i++) log.append(ev(`a${i}`));
    expect(log.oldestSeq).toBe(5);
    expect(log.after(4).map((e) => e.event.seq)).toEqual([5, 6, 7]);
    expect(codeOf(() => log.after(3))).toBe('resync_required');
  });

  test('when since is ahead of the newest event (another process numbered it), then resync_required', () => {
    const log = new EventLog(3);
    log.append(ev('a'));
    expect(codeOf(() => log.after(9))).toBe('resync_required');
  });

  test('when the bytes bound is passed, then the oldest events are dropped but the newest is kept', () => {
    const log = new EventLog(100, 600);
    for (let i = 0; i < 10; i++) log.append({ ...ev('x'), attributes: { big: 'y'.repeat(200) } });
    const held = log.after(log.oldestSeq - 1);
    expect(held.length).toBeGreaterThanOrEqual(1);
    expect(held.length).toBeLessThan(10);
    expect(held[held.length - 1].event.seq).toBe(10);
  });

  test('when an event is logged, then its JSON is made once and parses back to the event', () => {
    const log = new EventLog(2);
    const e = log.append(ev('start'));
    expect(JSON.parse(e.json)).toEqual(e.event);
  });
});
