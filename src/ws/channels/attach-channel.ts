import { CHANNEL_ROLES } from '../channel-roles';
import { DomainError } from '../../domain/errors';
import type { TerminalService } from '../../domain/terminal/exec-service';
import type { AuditLog, TerminalSize } from '../../domain/terminal/terminal';
import type { SubscribeAttach, SubscribeExec } from '../protocol';
import type { Channel, Subscription, SubscriptionSink } from '../subscription';
import { DEFAULT_ENGINE } from '../../domain/engines/engine-directory';
import type { PerEngine } from '../per-engine';
import { TerminalSession } from './terminal-session';

/** The size asked for on subscribe: both of cols and rows, or neither. */
export function startSize(frame: SubscribeExec | SubscribeAttach): TerminalSize | undefined {
  if (frame.cols === undefined && frame.rows === undefined) return undefined;
  if (frame.cols === undefined || frame.rows === undefined) {
    throw new DomainError('invalid_request', 'give both cols and rows, or neither', {
      errors: [{ path: frame.cols === undefined ? 'cols' : 'rows', message: 'required with the other' }],
    });
  }
  return { cols: frame.cols, rows: frame.rows };
}

/** The engine may record the exit a moment after the attach stream ends: ask a few times, then say null. */
async function stoppedExitCode(read: () => Promise<number | null>, waitMs = 2000): Promise<number | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const code = await read().catch(() => null);
    if (code !== null || Date.now() >= deadline) return code;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The `-it` case: stdin, stdout and stderr of a running container created with openStdin. Unsubscribing or
 * disconnecting detaches; the container keeps running. `end` with the exit code when the container stops.
 */
export class AttachChannel implements Channel<SubscribeAttach> {
  readonly role = CHANNEL_ROLES.attach;

  constructor(
    private readonly terminalsOf: PerEngine<TerminalService>,
    private readonly idleTimeoutMs: number,
    private readonly audit: AuditLog,
  ) {}

  async open(frame: SubscribeAttach, sink: SubscriptionSink): Promise<Subscription> {
    const terminals = this.terminalsOf(frame.engine ?? DEFAULT_ENGINE, sink.principal);
    const size = startSize(frame);
    const { target, stream } = await terminals.attach(frame.container, sink.principal);
    const encoding = frame.encoding ?? 'utf8';
    const session = new TerminalSession(stream, sink, {
      tty: target.tty,
      encoding,
      idleTimeoutMs: this.idleTimeoutMs,
      resize: (s) => terminals.resizeContainer(target.id, s),
      ended: async () => ({ reason: 'container_stopped', exitCode: await stoppedExitCode(() => terminals.containerExitCode(target.id)) }),
      closed: (f) => this.audit('session_end', { token: sink.principal.name, channel: 'attach', container: target.id, name: target.name, ...f }),
    });
    if (size && target.tty) await terminals.resizeContainer(target.id, size).catch(() => undefined);
    sink.send('subscribed', { channel: 'attach', container: target.id, name: target.name, tty: target.tty, encoding });
    void session.run();
    return { close: () => session.close(), input: (f) => session.input(f) };
  }
}
