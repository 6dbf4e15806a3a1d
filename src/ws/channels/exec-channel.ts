import { CHANNEL_ROLES } from '../channel-roles';
import type { TerminalService } from '../../domain/terminal/exec-service';
import type { AuditLog } from '../../domain/terminal/terminal';
import type { SubscribeExec } from '../protocol';
import type { Channel, Subscription, SubscriptionSink } from '../subscription';
import { DEFAULT_ENGINE } from '../../domain/engines/engine-directory';
import type { PerEngine } from '../per-engine';
import { startSize } from './attach-channel';
import { TerminalSession } from './terminal-session';

/**
 * An exec created with POST /containers/{id}/exec, started here with its stdin attached: output frames,
 * `stdin`/`resize` input, then `end` with the exit code. Admin only; every session is audit-logged.
 */
export class ExecChannel implements Channel<SubscribeExec> {
  readonly role = CHANNEL_ROLES.exec;

  constructor(
    private readonly terminalsOf: PerEngine<TerminalService>,
    private readonly idleTimeoutMs: number,
    private readonly audit: AuditLog,
  ) {}

  async open(frame: SubscribeExec, sink: SubscriptionSink): Promise<Subscription> {
    const terminals = this.terminalsOf(frame.engine ?? DEFAULT_ENGINE, sink.principal);
    const size = startSize(frame);
    const { info, stream } = await terminals.startExecSession(frame.execId, sink.principal);
    const encoding = frame.encoding ?? 'utf8';
    const session = new TerminalSession(stream, sink, {
      tty: info.tty,
      encoding,
      idleTimeoutMs: this.idleTimeoutMs,
      // Without a TTY the engine closes the process's stdin when we hang up; a TTY needs its end-of-file character.
      hangup: info.tty ? Buffer.from([4]) : undefined,
      resize: (s) => terminals.resizeExec(info.execId, s),
      ended: async () => ({ reason: 'exited', exitCode: (await terminals.finished(info.execId)).exitCode }),
      closed: (f) =>
        this.audit('session_end', { token: sink.principal.name, channel: 'exec', execId: info.execId, container: info.containerId, ...f }),
    });
    if (size && info.tty) {
      // Best effort: a shell that exited at once has nothing left to resize.
      await terminals.resizeExec(info.execId, size).catch(() => undefined);
    }
    sink.send('subscribed', { channel: 'exec', execId: info.execId, containerId: info.containerId, cmd: info.cmd, tty: info.tty, encoding });
    void session.run();
    return { close: () => session.close(), input: (f) => session.input(f) };
  }
}
