import { CHANNEL_ROLES } from '../channel-roles';
import { DomainError } from '../../domain/errors';
import type { TerminalService } from '../../domain/terminal/exec-service';
import type { AuditLog } from '../../domain/terminal/terminal';
import type { SubscribeAttach, SubscribeExec } from '../protocol';
import type { Channel } from '../subscription';
import type { PerEngine } from '../per-engine';
import { AttachChannel } from './attach-channel';
import { ExecChannel } from './exec-channel';

export interface TerminalChannelDeps {
  /** An engine's terminal service for a principal (engine_not_found when it may not use it). */
  terminals: PerEngine<TerminalService>;
  idleTimeoutMs: number;
  audit: AuditLog;
}

/** Refuses, never fakes, when this build has no terminal service. */
const absent = <F>(): Channel<F> => ({
  role: CHANNEL_ROLES.exec,
  open: () => {
    throw new DomainError('engine_unavailable', 'this service has no terminal service: exec and attach are not available');
  },
});

/** The `exec` and `attach` channels for the gateway's registry. */
export function terminalChannels(deps: TerminalChannelDeps | undefined): { exec: Channel<SubscribeExec>; attach: Channel<SubscribeAttach> } {
  if (!deps) return { exec: absent<SubscribeExec>(), attach: absent<SubscribeAttach>() };
  return {
    exec: new ExecChannel(deps.terminals, deps.idleTimeoutMs, deps.audit),
    attach: new AttachChannel(deps.terminals, deps.idleTimeoutMs, deps.audit),
  };
}
