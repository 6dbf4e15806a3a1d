import { commandFingerprint } from '../auth/redaction';
import type { Principal } from '../auth/tokens';
import { parseContainerRef } from '../containers/container-ref';
import { DomainError } from '../errors';
import { parseExecId, toExecSpec, type ExecRequest } from './exec-spec';
import { OutputTail } from './output-tail';
import type { AttachTarget, AuditLog, ExecInfo, TerminalEngine, TerminalStream } from './terminal';

export interface ExecRunOptions {
  /** Each of stdout and stderr keeps at most this many bytes (the newest). */
  maxOutputBytes: number;
  /** After this, the answer says `timedOut` with what was printed so far; the process keeps running. */
  timeoutMs: number;
}

export interface ExecRunResult {
  execId: string;
  exitCode: number | null;
  timedOut: boolean;
  running: boolean;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

export const EXEC_RUN_DEFAULTS: ExecRunOptions = { maxOutputBytes: 1024 * 1024, timeoutMs: 30_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Exec and attach: validation, the started-once rule, exit codes and the audit trail. Sessions themselves
 * (input, output, idle timeout) are run by the WebSocket channels over the streams opened here.
 */
export class TerminalService {
  constructor(
    private readonly engine: TerminalEngine,
    private readonly audit: AuditLog,
  ) {}

  /** Creates an exec for an interactive session (stdin attached), started later by the WebSocket `exec` channel. */
  async createExec(container: string, req: ExecRequest, by: Principal): Promise<ExecInfo> {
    const ref = parseContainerRef(container);
    const spec = toExecSpec(req, true);
    const execId = await this.engine.createExec(ref, spec);
    this.audit('exec_create', {
      token: by.name,
      container: ref,
      execId,
      cmd: commandFingerprint(spec.cmd),
      tty: spec.tty,
      user: spec.user,
      workingDir: spec.workingDir,
      env: spec.env.map((e) => e.split('=')[0]),
    });
    return this.engine.inspectExec(execId);
  }

  inspectExec(execId: string): Promise<ExecInfo> {
    return this.engine.inspectExec(parseExecId(execId));
  }

  /** The one-shot form: runs the command without stdin and answers its exit code and bounded output. */
  async runExec(container: string, req: ExecRequest, by: Principal, opts: ExecRunOptions): Promise<ExecRunResult> {
    const ref = parseContainerRef(container);
    const spec = toExecSpec(req, false);
    const execId = await this.engine.createExec(ref, spec);
    this.audit('exec_run', {
      token: by.name,
      container: ref,
      execId,
      cmd: commandFingerprint(spec.cmd),
      tty: spec.tty,
      user: spec.user,
      workingDir: spec.workingDir,
      env: spec.env.map((e) => e.split('=')[0]),
    });
    const stream = await this.engine.runExec(execId, spec.tty);
    const out = { stdout: new OutputTail(opts.maxOutputBytes), stderr: new OutputTail(opts.maxOutputBytes) };
    let timer: NodeJS.Timeout | undefined;
    const reading = (async () => {
      for await (const chunk of stream.output) out[chunk.stream].push(chunk.bytes);
      return false;
    })();
    reading.catch(() => undefined); // after a timeout the closed stream's failure is nobody's business
    const timedOut = await Promise.race([
      reading,
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), opts.timeoutMs);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      stream.close();
    });
    const info = timedOut ? await this.engine.inspectExec(execId) : await this.finished(execId);
    const result = {
      execId,
      exitCode: info.running ? null : info.exitCode,
      timedOut,
      running: info.running,
      stdout: out.stdout.text(),
      stderr: out.stderr.text(),
      truncated: out.stdout.truncated || out.stderr.truncated,
    };
    this.audit('session_end', { token: by.name, container: ref, execId, exitCode: result.exitCode, timedOut });
    return result;
  }

  /** Starts a created exec with its stdin; an exec runs once, so a started or finished one is a conflict. */
  async startExecSession(execId: string, by: Principal): Promise<{ info: ExecInfo; stream: TerminalStream }> {
    const id = parseExecId(execId);
    const info = await this.engine.inspectExec(id);
    if (info.running || info.exitCode !== null || info.pid !== 0) {
      throw new DomainError('conflict', `exec ${id.slice(0, 12)} was already started; create a new one`, { execId: id });
    }
    const stream = await this.engine.startExec(id, info.tty);
    this.audit('exec_session', { token: by.name, container: info.containerId, execId: id, cmd: commandFingerprint(info.cmd), tty: info.tty });
    return { info, stream };
  }

  /** Attaches to a running interactive container (created with openStdin, usually with tty: the `-it` case). */
  async attach(container: string, by: Principal): Promise<{ target: AttachTarget; stream: TerminalStream }> {
    const target = await this.engine.attachTarget(parseContainerRef(container));
    if (!target.running) throw new DomainError('container_not_running', `container ${target.name} is not running; start it first`);
    if (!target.openStdin) {
      throw new DomainError(
        'conflict',
        `container ${target.name} was not created with openStdin: there is no input to attach to (follow its output with the logs channel)`,
      );
    }
    const stream = await this.engine.attach(target.id, target.tty);
    this.audit('attach', { token: by.name, container: target.id, name: target.name, tty: target.tty });
    return { target, stream };
  }

  /** The exit code once the engine has recorded it (it may lag the end of the output stream a little). */
  async finished(execId: string, waitMs = 2000): Promise<ExecInfo> {
    const deadline = Date.now() + waitMs;
    let info = await this.engine.inspectExec(execId);
    while (info.running && Date.now() < deadline) {
      await sleep(50);
      info = await this.engine.inspectExec(execId);
    }
    return info;
  }

  resizeExec(execId: string, size: { cols: number; rows: number }): Promise<void> {
    return this.engine.resizeExec(parseExecId(execId), size);
  }

  resizeContainer(container: string, size: { cols: number; rows: number }): Promise<void> {
    return this.engine.resizeContainer(parseContainerRef(container), size);
  }

  containerExitCode(container: string): Promise<number | null> {
    return this.engine.containerExitCode(parseContainerRef(container));
  }
}
