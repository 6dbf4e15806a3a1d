import { LogDemuxer, MAX_LINE_CHARS } from '../../../src/engine/log-demux';

const frame = (stream: 1 | 2, text: string | Buffer): Buffer => {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
};

describe('LogDemuxer', () => {
  test('when frames of stdout and stderr arrive, then lines keep their stream', () => {
    const d = new LogDemuxer(false, false);
    const lines = d.push(Buffer.concat([frame(1, 'out 1\nout 2\n'), frame(2, 'err 1\n')]));
    expect(lines).toEqual([
      { stream: 'stdout', timestamp: null, line: 'out 1' },
      { stream: 'stdout', timestamp: null, line: 'out 2' },
      { stream: 'stderr', timestamp: null, line: 'err 1' },
    ]);
  });

  test('when a frame is split at every byte, then the same lines come out, multi-byte characters intact', () => {
    const bytes = Buffer.concat([frame(1, 'héllo wörld\n'), frame(2, 'ça va\n')]);
    const d = new LogDemuxer(false, false);
    const lines = [];
    for (let i = 0; i < bytes.length; i++) lines.push(...d.push(bytes.subarray(i, i + 1)));
    expect(lines.map((l) => `${l.stream}:${l.line}`)).toEqual(['stdout:héllo wörld', 'stderr:ça va']);
  });

  test('when timestamps were asked for, then each line carries its own and the text loses it', () => {
    const d = new LogDemuxer(false, true);
    const [l] = d.push(frame(1, '2024-05-01T10:00:00.123456789Z hello there\n'));
    expect(l).toEqual({ stream: 'stdout', timestamp: '2024-05-01T10:00:00.123456789Z', line: 'hello there' });
  });

  test('when the container has a TTY, then the raw stream is stdout lines without carriage returns', () => {
    const d = new LogDemuxer(true, false);
    expect(d.push(Buffer.from('one\r\ntwo\r\nthr'))).toEqual([
      { stream: 'stdout', timestamp: null, line: 'one' },
      { stream: 'stdout', timestamp: null, line: 'two' },
    ]);
    expect(d.end()).toEqual([{ stream: 'stdout', timestamp: null, line: 'thr' }]);
  });

  test('when a line never ends, then it is cut into bounded pieces', () => {
    const d = new LogDemuxer(true, false);
    const lines = d.push(Buffer.from('x'.repeat(MAX_LINE_CHARS * 2 + 10)));
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.line.length === MAX_LINE_CHARS)).toBe(true);
    expect(d.end()[0].line).toHaveLength(10);
  });
});
