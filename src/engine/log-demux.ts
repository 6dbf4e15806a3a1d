import { StringDecoder } from 'node:string_decoder';
import type { LogLine, LogStream } from '../domain/containers/container-streams';
import { StdioDemuxer } from './stdio-demux';

/** Longer lines are cut into pieces of this many characters, so one endless line cannot grow a buffer. */
export const MAX_LINE_CHARS = 16 * 1024;
const TIMESTAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?/;

/** Bytes of one stream → whole lines, across chunk and UTF-8 character boundaries. */
class LineAssembler {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(
    private readonly stream: LogStream,
    private readonly timestamps: boolean,
  ) {}

  write(bytes: Buffer, out: LogLine[]): void {
    const parts = (this.partial + this.decoder.write(bytes)).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.emit(p, out);
    while (this.partial.length > MAX_LINE_CHARS) {
      this.emit(this.partial.slice(0, MAX_LINE_CHARS), out);
      this.partial = this.partial.slice(MAX_LINE_CHARS);
    }
  }

  end(out: LogLine[]): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.emit(rest, out);
  }

  private emit(raw: string, out: LogLine[]): void {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    let timestamp: string | null = null;
    if (this.timestamps) {
      const m = TIMESTAMPED.exec(line);
      if (m) {
        timestamp = m[1];
        line = line.slice(m[0].length);
      }
    }
    out.push({ stream: this.stream, timestamp, line });
  }
}

/**
 * The engine's log stream as lines: the multiplexed frames (or raw TTY output) split by StdioDemuxer, then
 * each stream's bytes assembled into lines.
 */
export class LogDemuxer {
  private readonly out: Record<LogStream, LineAssembler>;
  private readonly stdio: StdioDemuxer;

  constructor(tty: boolean, timestamps: boolean) {
    this.stdio = new StdioDemuxer(tty);
    this.out = { stdout: new LineAssembler('stdout', timestamps), stderr: new LineAssembler('stderr', timestamps) };
  }

  push(chunk: Buffer): LogLine[] {
    const lines: LogLine[] = [];
    for (const piece of this.stdio.push(chunk)) this.out[piece.stream].write(piece.bytes, lines);
    return lines;
  }

  /** Partial lines at the end of the stream. */
  end(): LogLine[] {
    const lines: LogLine[] = [];
    this.out.stdout.end(lines);
    this.out.stderr.end(lines);
    return lines;
  }
}
