import type { OutputChunk } from '../domain/terminal/terminal';

const HEADER = 8;

/**
 * The engine's multiplexed stdio (exec and attach without a TTY) as raw chunks: frames of an 8-byte header
 * (byte 0: 1 = stdout, 2 = stderr; bytes 4-7: big-endian payload length) and a payload. Payload bytes are
 * passed on as they arrive, so a large frame is never buffered whole. With a TTY the stream is raw stdout.
 */
export class StdioDemuxer {
  private header = Buffer.alloc(0);
  private current: OutputChunk['stream'] = 'stdout';
  private remaining = 0;

  constructor(private readonly tty: boolean) {}

  push(chunk: Buffer): OutputChunk[] {
    if (this.tty) return chunk.length > 0 ? [{ stream: 'stdout', bytes: chunk }] : [];
    const out: OutputChunk[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - pos);
        out.push({ stream: this.current, bytes: chunk.subarray(pos, pos + take) });
        this.remaining -= take;
        pos += take;
        continue;
      }
      const need = HEADER - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(pos, pos + need)]);
      pos += Math.min(need, chunk.length - pos);
      if (this.header.length < HEADER) break;
      // Stream 0 is stdin echoed back, which the engine never sends here; anything but 2 is shown as stdout.
      this.current = this.header[0] === 2 ? 'stderr' : 'stdout';
      this.remaining = this.header.readUInt32BE(4);
      this.header = Buffer.alloc(0);
    }
    return out;
  }
}
