import { StringDecoder } from 'node:string_decoder';
import type { LogLine, LogStream } from '../domain/containers/container-streams';

/** Longer lines are cut into pieces of this many characters, so one endless line cannot grow a buffer. */
export const MAX_LINE_CHARS = 16 * 1024;
const HEADER = 8;
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
 * The engine's log stream as lines. Without a TTY it is multiplexed: frames of an 8-byte header (stream
 * 1 = stdout, 2 = stderr, then a big-endian 32-bit length) and a payload; payloads are consumed as they
 * arrive, so a large frame is never buffered whole. With a TTY it is raw stdout.
 */
export class LogDemuxer {
  private readonly out: Record<LogStream, LineAssembler>;
  private header = Buffer.alloc(0);
  private current: LogStream = 'stdout';
  private remaining = 0;

  constructor(
    private readonly tty: boolean,
    timestamps: boolean,
  ) {
    this.out = { stdout: new LineAssembler('stdout', timestamps), stderr: new LineAssembler('stderr', timestamps) };
  }

  push(chunk: Buffer): LogLine[] {
    const lines: LogLine[] = [];
    if (this.tty) {
      this.out.stdout.write(chunk, lines);
      return lines;
    }
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - pos);
        this.out[this.current].write(chunk.subarray(pos, pos + take), lines);
        this.remaining -= take;
        pos += take;
        continue;
      }
      const need = HEADER - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(pos, pos + need)]);
      pos += Math.min(need, chunk.length - pos);
      if (this.header.length < HEADER) break;
      this.current = this.header[0] === 2 ? 'stderr' : 'stdout';
      this.remaining = this.header.readUInt32BE(4);
      this.header = Buffer.alloc(0);
    }
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
