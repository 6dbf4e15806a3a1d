import { OutputTail } from '../../../src/domain/terminal/output-tail';
import { StdioDemuxer } from '../../../src/engine/stdio-demux';

const frame = (stream: 1 | 2, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};
const texts = (chunks: { stream: string; bytes: Buffer }[]) => chunks.map((c) => `${c.stream}:${c.bytes.toString()}`);

describe('stdio demultiplexing', () => {
  test('when frames of both streams arrive split at every byte, then the bytes come out with their stream, in order', () => {
    const all = Buffer.concat([frame(1, 'out-1 '), frame(2, 'err-1'), frame(1, 'out-2')]);
    const d = new StdioDemuxer(false);
    const out = [...all].flatMap((b) => d.push(Buffer.from([b])));
    const joined = { stdout: '', stderr: '' } as Record<string, string>;
    for (const c of out) joined[c.stream] += c.bytes.toString();
    expect(joined).toEqual({ stdout: 'out-1 out-2', stderr: 'err-1' });
  });

  test('when one chunk holds several frames, then each is cut at its length', () => {
    const d = new StdioDemuxer(false);
    expect(texts(d.push(Buffer.concat([frame(2, 'a'), frame(1, 'bc')])))).toEqual(['stderr:a', 'stdout:bc']);
  });

  test('when there is a TTY, then the bytes are raw stdout, headers and all', () => {
    const raw = frame(2, 'looks like a header');
    expect(new StdioDemuxer(true).push(raw)).toEqual([{ stream: 'stdout', bytes: raw }]);
  });
});

describe('bounded output', () => {
  test('when more than the cap is pushed, then the newest bytes are kept and truncated is set', () => {
    const tail = new OutputTail(10);
    tail.push(Buffer.from('0123456'));
    tail.push(Buffer.from('789abc'));
    expect(tail.text()).toBe('3456789abc');
    expect(tail.truncated).toBe(true);
    tail.push(Buffer.from('0123456789ABCDEF'));
    expect(tail.text()).toBe('6789ABCDEF');
  });

  test('when less than the cap is pushed, then everything is kept', () => {
    const tail = new OutputTail(10);
    tail.push(Buffer.from('héllo'));
    expect(tail.text()).toBe('héllo');
    expect(tail.truncated).toBe(false);
  });
});
