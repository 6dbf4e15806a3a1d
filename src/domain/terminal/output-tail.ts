/**
 * The newest `capBytes` of one output stream: a command that prints without end cannot grow our memory,
 * and what is kept is the end of its output, where errors usually are (as with truncated logs).
 */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly capBytes: number) {}

  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const b = bytes.length > this.capBytes ? bytes.subarray(bytes.length - this.capBytes) : bytes;
    if (b !== bytes) this.truncated = true;
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.capBytes) {
      const first = this.chunks[0];
      const excess = this.size - this.capBytes;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  /** As UTF-8 text; a character cut by the bound at the start becomes U+FFFD. */
  text(): string {
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}
