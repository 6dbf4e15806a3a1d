/**
 * Interactive terminals in our own words: exec sessions and container attach. The engine adapter
 * (src/engine/docker-terminal.ts) implements TerminalEngine; the WebSocket channels and the REST exec routes
 * consume it through the domain services.
 */
export type OutputStream = 'stdout' | 'stderr';

export interface OutputChunk {
  stream: OutputStream;
  bytes: Buffer;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** An exec to create, already validated: every field the engine will see is here and nothing else. */
export interface ExecSpec {
  cmd: string[];
  tty: boolean;
  /** `NAME=value` entries. */
  env: string[];
  workingDir?: string;
  user?: string;
  /** Keep stdin open for a session; one-shot execs get none (the command reads EOF at once). */
  attachStdin: boolean;
}

export interface ExecInfo {
  execId: string;
  containerId: string;
  running: boolean;
  /** Null until the process has exited. */
  exitCode: number | null;
  tty: boolean;
  openStdin: boolean;
  cmd: string[];
  user: string;
  pid: number;
}

/** A hijacked engine connection: output in, input out. `close()` hangs it up (the engine sees EOF). */
export interface TerminalStream {
  /** Output as it arrives, demultiplexed into stdout/stderr when there is no TTY; pulled by the consumer. */
  output: AsyncIterable<OutputChunk>;
  /** Resolves once the bytes are handed to the engine connection (waits while its buffer is full). */
  write(bytes: Buffer): Promise<void>;
  /** Hangs up; `lastBytes` are sent first (then end-of-input), e.g. a TTY's end-of-file character. */
  close(lastBytes?: Buffer): void;
}

export interface AttachTarget {
  id: string;
  name: string;
  running: boolean;
  tty: boolean;
  openStdin: boolean;
}

/** Every execId and container ref has been validated before it gets here. */
export interface TerminalEngine {
  /** Returns the new exec's id. Throws container_not_found, container_not_running. */
  createExec(container: string, spec: ExecSpec): Promise<string>;
  /** Throws exec_not_found. */
  inspectExec(execId: string): Promise<ExecInfo>;
  /** Starts the exec with its stdin attached (when it was created with one). Throws exec_not_found, conflict. */
  startExec(execId: string, tty: boolean): Promise<TerminalStream>;
  /** Starts the exec without stdin, for the one-shot form. */
  runExec(execId: string, tty: boolean): Promise<TerminalStream>;
  resizeExec(execId: string, size: TerminalSize): Promise<void>;
  /** Throws container_not_found. */
  attachTarget(container: string): Promise<AttachTarget>;
  /** Attaches stdin, stdout and stderr of a running container; closing detaches, never stops it. */
  attach(container: string, tty: boolean): Promise<TerminalStream>;
  resizeContainer(container: string, size: TerminalSize): Promise<void>;
  /** The container's exit code once it has stopped (null while it runs). */
  containerExitCode(container: string): Promise<number | null>;
}

/** Who did what, for the audit log (a structured log line in production). */
export type AuditLog = (event: 'exec_create' | 'exec_run' | 'exec_session' | 'attach' | 'session_end', fields: Record<string, unknown>) => void;
