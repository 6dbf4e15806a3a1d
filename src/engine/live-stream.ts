import type { Readable } from 'node:stream';
import type { LiveStream } from '../domain/containers/container-streams';

/**
 * An engine stream as a LiveStream, pulled by its consumer: a chunk is read from the engine only when the
 * consumer asks for more items, so a slow consumer leaves data in the socket (TCP backpressure) instead of
 * in our memory. `close()` destroys the engine stream and ends the iteration quietly.
 */
export function liveStream<T>(source: Readable, parse: (chunk: Buffer) => T[], flush: () => T[] = () => []): LiveStream<T> {
  let closed = false;
  async function* items(): AsyncGenerator<T> {
    try {
      for await (const chunk of source) {
        for (const item of parse(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))) yield item;
      }
      for (const item of flush()) yield item;
    } catch (err) {
      if (!closed) throw err;
    } finally {
      source.destroy();
    }
  }
  const iterator = items();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close() {
      closed = true;
      source.destroy();
    },
  };
}

/** Newline-delimited JSON documents; a line longer than `maxLine` is dropped (the engine never sends one). */
export function jsonLines<T>(maxLine = 1024 * 1024): { parse: (chunk: Buffer) => T[] } {
  let partial = '';
  return {
    parse(chunk) {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      if (partial.length > maxLine) partial = '';
      const out: T[] = [];
      for (const p of parts) {
        if (p.trim().length === 0) continue;
        try {
          out.push(JSON.parse(p) as T);
        } catch {
          // A malformed document is skipped rather than ending a live stream.
        }
      }
      return out;
    },
  };
}
