import { encodeFrame, parseClientFrame } from '../../../src/ws/protocol';

describe('parseClientFrame', () => {
  test.each([
    ['events with filters and since', { type: 'subscribe', id: 'a', channel: 'events', filters: { type: ['container'], label: ['k=v'] }, since: 5 }],
    ['job', { type: 'subscribe', id: 'j', channel: 'job', jobId: '123e4567-e89b-12d3-a456-426614174000' }],
    ['logs', { type: 'subscribe', id: 'l', channel: 'logs', container: 'web-1', tail: 10, since: 1700000000.5 }],
    ['stats', { type: 'subscribe', id: 's', channel: 'stats', container: 'abc123', interval: 2 }],
    ['unsubscribe', { type: 'unsubscribe', id: 'a' }],
  ])('when a valid %s frame comes, then it parses', (_n, frame) => {
    const r = parseClientFrame(JSON.stringify(frame));
    expect(r.ok).toBe(true);
  });

  test.each([
    ['not JSON', '{nope', null, '(frame)'],
    ['an unknown type', JSON.stringify({ type: 'hello', id: 'x' }), 'x', 'type'],
    ['an unknown channel', JSON.stringify({ type: 'subscribe', id: 'x', channel: 'nope' }), 'x', 'channel'],
    ['an unknown field', JSON.stringify({ type: 'subscribe', id: 'x', channel: 'events', bogus: 1 }), 'x', '(frame)'],
    [
      'a container name that could change an engine URL',
      JSON.stringify({ type: 'subscribe', id: 'x', channel: 'logs', container: '../images' }),
      'x',
      'container',
    ],
    ['a negative since', JSON.stringify({ type: 'subscribe', id: 'x', channel: 'events', since: -1 }), 'x', 'since'],
    ['an interval out of range', JSON.stringify({ type: 'subscribe', id: 'x', channel: 'stats', container: 'c1', interval: 0 }), 'x', 'interval'],
    ['a bad id', JSON.stringify({ type: 'subscribe', id: 'a b', channel: 'events' }), null, 'id'],
  ])('when %s, then invalid_request naming the field and the id when usable', (_n, text, id, path) => {
    const r = parseClientFrame(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid_request');
    expect(r.id).toBe(id);
    if (path !== '(frame)' || r.error.details) {
      const errors = (r.error.details?.errors ?? []) as { path: string }[];
      if (path !== '(frame)') expect(errors.map((e) => e.path)).toContain(path);
    }
  });
});

describe('encodeFrame', () => {
  test('when data is pre-serialized, then it is embedded as is and the frame is valid JSON', () => {
    const text = encodeFrame('a"b', 'event', 7, null, '{"x":1}');
    expect(JSON.parse(text)).toEqual({ id: 'a"b', type: 'event', seq: 7, data: { x: 1 } });
  });
});
