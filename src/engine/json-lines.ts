import { StringDecoder } from 'node:string_decoder';
import { DomainError } from '../domain/errors';

/** A progress line is a few hundred bytes; a line this long means the stream is not what we think. */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Parses newline-delimited JSON from a byte stream as it arrives. Pulling one chunk at a time through
 * `for await` keeps the engine socket paused while the consumer is busy (backpressure), and only the
 * unfinished last line is ever buffered. Returning early (break) destroys the source stream.
 */
export async function* jsonLines(source: AsyncIterable<Buffer | string>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const parse = (line: string): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      throw new DomainError('engine_error', `the engine sent a progress line that is not JSON: ${line.slice(0, 100)}`);
    }
  };
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line.length > 0) yield parse(line);
    }
    if (pending.length > maxLineBytes) {
      throw new DomainError('engine_error', `the engine sent a progress line longer than ${maxLineBytes} bytes`);
    }
  }
  const last = (pending + decoder.end()).trim();
  if (last.length > 0) yield parse(last);
}
