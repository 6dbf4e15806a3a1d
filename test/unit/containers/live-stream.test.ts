import { Readable } from 'node:stream';
import { liveStream } from '../../../src/engine/live-stream';

/** An endless source that counts how many chunks were read from it. */
function endless() {
  let reads = 0;
  const source = new Readable({
    highWaterMark: 1024,
    read() {
      reads++;
      this.push(Buffer.from('line\n'.repeat(20)));
    },
  });
  return { source, reads: () => reads };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('liveStream', () => {
  test('when the consumer stops asking, then the source is not read further (backpressure)', async () => {
    const { source, reads } = endless();
    const s = liveStream(source, (chunk) => chunk.toString().split('\n').filter(Boolean));
    const it = s[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) await it.next();
    await settle();
    const after = reads();
    await settle();
    // Only what fills the source's own small buffer is read ahead, and nothing more while nobody consumes.
    expect(reads()).toBe(after);
    expect(after).toBeLessThan(20);
    s.close();
  });

  test('when closed while the consumer waits, then the iteration ends quietly and the source is destroyed', async () => {
    const source = new Readable({ read() {} });
    const s = liveStream(source, (chunk) => [chunk.toString()]);
    const it = s[Symbol.asyncIterator]();
    const pending = it.next();
    s.close();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(source.destroyed).toBe(true);
  });

  test('when the source ends, then the flushed items come last', async () => {
    const s = liveStream(
      Readable.from([Buffer.from('a'), Buffer.from('b')]),
      (c) => [c.toString()],
      () => ['end'],
    );
    const got: string[] = [];
    for await (const x of s) got.push(x);
    expect(got).toEqual(['a', 'b', 'end']);
  });
});
