import { StringDecoder } from 'node:string_decoder';
import { DomainError, isDomainError } from '../../domain/errors';
import type { TerminalSize, TerminalStream } from '../../domain/terminal/terminal';
import type { InputFrame } from '../protocol';
import type { SubscriptionSink } from '../subscription';

export type OutputEncoding = 'utf8' | 'base64';

/** Output frames carry at most this many bytes each, so one engine chunk never makes a huge frame. */
const MAX_OUTPUT_FRAME_BYTES = 16 * 1024;
/** Input writes the process has not taken yet; beyond this, input is refused until it reads. */
const MAX_PENDING_WRITES = 4;

export interface SessionHooks {
  tty: boolean;
  encoding: OutputEncoding;
  idleTimeoutMs: number;
  /** Sent when the session ends before the process did (idle, detach): an exec TTY's ^D; never for attach. */
  hangup?: Buffer;
  resize(size: TerminalSize): Promise<void>;
  /** After the output ended: the `end` frame's data (e.g. the exit code). */
  ended(): Promise<{ reason: string; exitCode: number | null }>;
  /** Once, however the session ended: for the audit log. */
  closed(fields: { reason: string; exitCode?: number | null; durationMs: number }): void;
}

/**
 * One interactive session over a hijacked engine connection (exec or attach): output frames paced by the
 * client's reading, input and resize frames, an idle timeout, and exactly one final frame.
 */
export class TerminalSession {
  private readonly started = Date.now();
  private timer: NodeJS.Timeout;
  private finished = false;
  /** Input frames accepted and not yet applied, in order; beyond MAX_PENDING_WRITES, input is refused. */
  private queued = 0;
  private inputs: Promise<void> = Promise.resolve();

  constructor(
    private readonly stream: TerminalStream,
    private readonly sink: SubscriptionSink,
    private readonly hooks: SessionHooks,
  ) {
    this.timer = setTimeout(() => this.idle(), hooks.idleTimeoutMs);
    this.timer.unref();
  }

  /** Starts pumping output; resolves when the session is over. */
  run(): Promise<void> {
    return this.pump();
  }

  /**
   * Input frames reach the process in the order the client sent them: a resize is applied before the keystrokes
   * that follow it (the engine call for a resize takes longer than a write, and a shell must not read the next
   * command while its terminal still has the old size).
   */
  async input(frame: InputFrame): Promise<void> {
    if (this.finished) throw new DomainError('conflict', 'the session is over');
    this.timer.refresh();
    if (frame.type === 'resize' && !this.hooks.tty) throw new DomainError('invalid_request', 'this session has no TTY: there is nothing to resize');
    if (this.queued >= MAX_PENDING_WRITES) throw new DomainError('rate_limited', 'the process is not reading its input; this frame was dropped');
    this.queued++;
    const run = this.inputs.then(() => this.apply(frame)).finally(() => this.queued--);
    this.inputs = run.catch(() => undefined);
    return run;
  }

  private async apply(frame: InputFrame): Promise<void> {
    if (this.finished) throw new DomainError('conflict', 'the session is over');
    if (frame.type === 'resize') return this.hooks.resize({ cols: frame.cols, rows: frame.rows });
    await this.stream.write(Buffer.from(frame.data, frame.encoding === 'base64' ? 'base64' : 'utf8'));
  }

  /** Unsubscribed or disconnected: hang up the engine connection (a detach; the container keeps running). */
  close(): void {
    this.finish('detached');
  }

  private async pump(): Promise<void> {
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const send = (stream: 'stdout' | 'stderr', bytes: Buffer) => {
      for (let i = 0; i < bytes.length; i += MAX_OUTPUT_FRAME_BYTES) {
        const piece = bytes.subarray(i, i + MAX_OUTPUT_FRAME_BYTES);
        const data = this.hooks.encoding === 'base64' ? piece.toString('base64') : decoders[stream].write(piece);
        if (data.length > 0) this.sink.send('output', { stream, data, encoding: this.hooks.encoding });
      }
    };
    try {
      for await (const chunk of this.stream.output) {
        if (this.finished || !this.sink.isOpen) break;
        this.timer.refresh();
        // Backpressure: while the client has unread bytes, stop reading the engine (the process blocks on its pipe).
        await this.sink.drained();
        if (this.finished || !this.sink.isOpen) break;
        send(chunk.stream, chunk.bytes);
      }
      if (this.finished) return;
      if (this.hooks.encoding === 'utf8') {
        for (const s of ['stdout', 'stderr'] as const) {
          const rest = decoders[s].end();
          if (rest.length > 0) this.sink.send('output', { stream: s, data: rest, encoding: 'utf8' });
        }
      }
      const end = await this.hooks.ended();
      if (this.finish(end.reason, end.exitCode)) this.sink.end(end);
    } catch (err) {
      if (this.finish('failed')) this.sink.fail(isDomainError(err) ? err : new DomainError('engine_error', 'the engine connection failed'));
    }
  }

  private idle(): void {
    if (this.finish('idle_timeout')) this.sink.end({ reason: 'idle_timeout', idleTimeoutMs: this.hooks.idleTimeoutMs });
  }

  /** True the first time: the session is over, the engine connection hung up, the audit line written. */
  private finish(reason: string, exitCode?: number | null): boolean {
    if (this.finished) return false;
    this.finished = true;
    clearTimeout(this.timer);
    this.stream.close(exitCode === undefined ? this.hooks.hangup : undefined);
    this.hooks.closed({ reason, ...(exitCode !== undefined ? { exitCode } : {}), durationMs: Date.now() - this.started });
    return true;
  }
}
