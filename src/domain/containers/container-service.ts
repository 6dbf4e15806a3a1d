import type { Role } from '../auth/roles';
import { redactCommand, redactCommandLine, redactEnv, redactLabels, refuseHiddenLabelFilters, seesSecrets, viewOnce } from '../auth/redaction';
import { DomainError } from '../errors';
import type { ReadOptions } from '../read-options';
import type {
  ContainerDetails,
  ContainerListQuery,
  ContainerRepository,
  ContainerState,
  ContainerSummary,
  LifecycleAction,
  LogsResult,
} from './container';
import { parseContainerName, parseContainerRef, parseSignal, parseStopTimeout } from './container-ref';
import type { LogQuery, StatsSample } from './container-streams';

export const MAX_LOG_TAIL = 10000;
export const DEFAULT_LOG_TAIL = 100;

export interface ActionOutcome {
  id: string;
  name: string;
  action: LifecycleAction | 'rename';
  changed: boolean;
  state: ContainerState;
}

const redactList = viewOnce<ContainerSummary[]>((items) =>
  items.map((c) => ({ ...c, command: redactCommandLine(c.command), labels: redactLabels(c.labels) })),
);

/** Container reads and lifecycle. Every identifier is validated here, before the engine adapter sees it. */
export class ContainerService {
  constructor(private readonly repo: ContainerRepository) {}

  /** Below admin, commands and label values follow the redaction policy (src/domain/auth/redaction.ts). */
  async list(query: ContainerListQuery, read: ReadOptions | undefined, role: Role): Promise<ContainerSummary[]> {
    refuseHiddenLabelFilters(query.label, role);
    const items = await this.repo.list(query, read);
    return seesSecrets(role) ? items : redactList(items);
  }

  /** Environment values, command lines and label values are shown to admins only. */
  async inspect(ref: string, viewer: Role): Promise<ContainerDetails> {
    const c = await this.repo.inspect(parseContainerRef(ref));
    if (seesSecrets(viewer)) return c;
    const config = {
      ...c.config,
      env: redactEnv(c.config.env),
      ...redactCommand(c.config.entrypoint, c.config.cmd),
      labels: redactLabels(c.config.labels),
    };
    return { ...c, config, envRedacted: true };
  }

  async act(ref: string, action: LifecycleAction, opts: { timeout?: number; signal?: string } = {}): Promise<ActionOutcome> {
    const id = parseContainerRef(ref);
    const timeout = opts.timeout === undefined ? undefined : parseStopTimeout(opts.timeout);
    const signal = opts.signal === undefined ? undefined : parseSignal(opts.signal);
    let result;
    switch (action) {
      case 'start':
        result = await this.repo.start(id);
        break;
      case 'stop':
        result = await this.repo.stop(id, timeout);
        break;
      case 'restart':
        result = await this.repo.restart(id, timeout);
        break;
      case 'kill':
        result = await this.repo.kill(id, signal);
        break;
      case 'pause':
        result = await this.repo.pause(id);
        break;
      case 'unpause':
        result = await this.repo.unpause(id);
        break;
    }
    return this.outcome(id, action, result.changed);
  }

  async rename(ref: string, newName: string): Promise<ActionOutcome> {
    const id = parseContainerRef(ref);
    const name = parseContainerName(newName);
    // Resolve first: after the rename the old name no longer finds the container.
    const before = await this.repo.inspect(id);
    if (before.name === name) return this.outcome(before.id, 'rename', false);
    await this.repo.rename(before.id, name);
    return this.outcome(before.id, 'rename', true);
  }

  remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void> {
    return this.repo.remove(parseContainerRef(ref), opts);
  }

  logs(ref: string, query: LogQuery): Promise<LogsResult> {
    const tail = query.tail ?? DEFAULT_LOG_TAIL;
    if (!Number.isInteger(tail) || tail < 0 || tail > MAX_LOG_TAIL) {
      throw new DomainError('invalid_request', `tail must be a whole number between 0 and ${MAX_LOG_TAIL}`);
    }
    if (query.since !== undefined && query.until !== undefined && query.until < query.since) {
      throw new DomainError('invalid_request', 'until must not be before since');
    }
    if (query.stdout === false && query.stderr === false) {
      throw new DomainError('invalid_request', 'at least one of stdout and stderr must be true');
    }
    return this.repo.logs(parseContainerRef(ref), { ...query, tail });
  }

  stats(ref: string): Promise<StatsSample> {
    return this.repo.stats(parseContainerRef(ref));
  }

  private async outcome(id: string, action: ActionOutcome['action'], changed: boolean): Promise<ActionOutcome> {
    const c = await this.repo.inspect(id);
    return { id: c.id, name: c.name, action, changed, state: c.state };
  }
}
