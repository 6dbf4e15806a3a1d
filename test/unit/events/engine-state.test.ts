import { EngineState } from '../../../src/domain/events/engine-state';
import type { ContainerSnapshot, RawEngineEvent } from '../../../src/domain/events/engine-event';

const c = (id: string, state: string): ContainerSnapshot => ({ id, name: `n-${id}`, image: 'img', state, labels: { l: '1' } });
const raw = (action: string, actorId: string): RawEngineEvent => ({
  type: 'container',
  action,
  actorId,
  attributes: { name: `n-${actorId}`, image: 'img' },
  timeNano: '1',
});
const actions = (out: { action: string; actorId: string }[]) => out.map((e) => `${e.actorId}:${e.action}`);

describe('EngineState.reconcile', () => {
  test('when listed for the first time, then it only sets the baseline', () => {
    const s = new EngineState();
    expect(s.reconcile([c('a', 'running')], [])).toEqual([]);
    expect(s.hasBaseline).toBe(true);
  });

  test('when containers changed while away, then one event per missed change, in order', () => {
    const s = new EngineState();
    s.reconcile([c('gone', 'running'), c('stopped', 'running'), c('started', 'exited'), c('same', 'running'), c('paused', 'running')], []);
    const out = s.reconcile(
      [c('stopped', 'exited'), c('started', 'running'), c('same', 'running'), c('paused', 'paused'), c('new', 'running'), c('ran', 'exited')],
      [],
    );
    expect(actions(out)).toEqual([
      'gone:die',
      'gone:destroy',
      'stopped:die',
      'started:start',
      'paused:pause',
      'new:create',
      'new:start',
      'ran:create',
      'ran:start',
      'ran:die',
    ]);
  });

  test('when live events were followed, then a listing that agrees adds nothing (no duplicate)', () => {
    const s = new EngineState();
    s.reconcile([c('a', 'running')], []);
    s.apply(raw('create', 'b'));
    s.apply(raw('start', 'b'));
    s.apply(raw('die', 'a'));
    s.apply(raw('destroy', 'a'));
    expect(s.reconcile([{ ...c('b', 'running'), name: 'n-b' }], [])).toEqual([]);
  });

  test('when images changed while away, then tag, untag and delete events say so', () => {
    const s = new EngineState();
    s.reconcile(
      [],
      [
        { id: 'i1', tags: ['a:1'] },
        { id: 'i2', tags: ['b:1', 'b:2'] },
      ],
    );
    const out = s.reconcile(
      [],
      [
        { id: 'i2', tags: ['b:1'] },
        { id: 'i3', tags: ['c:1'] },
      ],
    );
    expect(out.map((e) => `${e.actorId}:${e.action}:${e.attributes.name}`)).toEqual(['i1:delete:i1', 'i2:untag:b:2', 'i3:tag:c:1']);
  });

  test('when a reconciled container event is made, then it carries name, image and labels like the engine', () => {
    const s = new EngineState();
    s.reconcile([], []);
    const [create] = s.reconcile([c('x', 'created')], []);
    expect(create.attributes).toEqual({ l: '1', image: 'img', name: 'n-x' });
  });
});
