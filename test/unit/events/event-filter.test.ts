import { matchesFilters, type EventFilters } from '../../../src/domain/events/event-filter';
import type { EngineEvent } from '../../../src/domain/events/engine-event';

const id = 'a'.repeat(64);
const container = (action: string, attributes: Record<string, string> = {}): EngineEvent => ({
  seq: 1,
  type: 'container',
  action,
  actorId: id,
  attributes: { name: 'web', image: 'seed/web:1.43', 'dockhand.test': 'ws', ...attributes },
  time: '',
  timeNano: '1',
  engine: 'default',
  reconciled: false,
});
const image: EngineEvent = { ...container('tag'), type: 'image', actorId: 'sha256:' + 'b'.repeat(64), attributes: { name: 'busybox:latest' } };

describe('matchesFilters', () => {
  test.each<[string, EventFilters, EngineEvent, boolean]>([
    ['no filters match everything', {}, container('start'), true],
    ['type matches', { type: ['container'] }, container('start'), true],
    ['type excludes', { type: ['image'] }, container('start'), false],
    ['values of one key are alternatives', { action: ['stop', 'start'] }, container('start'), true],
    ['an action prefix matches health_status', { action: ['health_status'] }, container('health_status: healthy'), true],
    ['an action is not a prefix of another', { action: ['start'] }, container('restart'), false],
    ['container by name', { container: ['web'] }, container('die'), true],
    ['container by full id', { container: [id] }, container('die'), true],
    ['container by 12-hex prefix', { container: [id.slice(0, 12)] }, container('die'), true],
    ['container by a short prefix does not match', { container: ['aaa'] }, container('die'), false],
    ['image of a container event', { image: ['seed/web:1.43'] }, container('create'), true],
    ['image of an image event, :latest implied', { image: ['busybox'] }, image, true],
    ['label key present', { label: ['dockhand.test'] }, container('start'), true],
    ['label key=value', { label: ['dockhand.test=ws'] }, container('start'), true],
    ['label value differs', { label: ['dockhand.test=other'] }, container('start'), false],
    ['every label must match', { label: ['dockhand.test=ws', 'missing'] }, container('start'), false],
    ['different keys must all match', { type: ['container'], action: ['die'] }, container('start'), false],
  ])('when %s, then the result is right', (_name, filters, event, expected) => {
    expect(matchesFilters(event, filters)).toBe(expected);
  });
});
