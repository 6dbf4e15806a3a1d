import { DomainError } from '../errors';
import type { ExecSpec, TerminalSize } from './terminal';

/** What a client may ask of an exec (REST body); everything is checked here before it becomes an ExecSpec. */
export interface ExecRequest {
  cmd: string[];
  tty?: boolean;
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
}

export const EXEC_LIMITS = { args: 64, argChars: 4096, envEntries: 64, envValueChars: 4096, pathChars: 1024, maxTerminal: 1000 } as const;

const EXEC_ID = /^[a-f0-9]{64}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A user name or uid, optionally `:group` or `:gid`, as `docker exec --user` takes it. */
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$/;

const invalid = (path: string, message: string) => new DomainError('invalid_request', `${path}: ${message}`, { errors: [{ path, message }] });

/** dockerode puts the exec id into engine URLs: only the engine's own 64 lowercase hex digits pass. */
export function parseExecId(input: string): string {
  if (typeof input !== 'string' || !EXEC_ID.test(input)) {
    throw new DomainError('invalid_identifier', `exec id "${String(input).slice(0, 80)}" is not 64 lowercase hex digits`, {
      execId: String(input).slice(0, 80),
    });
  }
  return input;
}

export function parseTerminalSize(cols: unknown, rows: unknown): TerminalSize {
  const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= EXEC_LIMITS.maxTerminal;
  if (!ok(cols) || !ok(rows)) throw invalid('size', `cols and rows must be whole numbers from 1 to ${EXEC_LIMITS.maxTerminal}`);
  return { cols, rows };
}

const noNul = (s: string) => !s.includes('\0');

/** Builds the exec spec field by field; nothing from the request reaches the engine unchecked. */
export function toExecSpec(req: ExecRequest, attachStdin: boolean): ExecSpec {
  const cmd = req?.cmd;
  if (!Array.isArray(cmd) || cmd.length === 0 || cmd.length > EXEC_LIMITS.args) throw invalid('cmd', `must be 1 to ${EXEC_LIMITS.args} arguments`);
  cmd.forEach((a, i) => {
    if (typeof a !== 'string' || a.length > EXEC_LIMITS.argChars || !noNul(a))
      throw invalid(`cmd.${i}`, `must be a string of at most ${EXEC_LIMITS.argChars} characters without NUL`);
  });
  if (cmd[0].length === 0) throw invalid('cmd.0', 'the program must not be empty');
  const env: string[] = [];
  const entries = Object.entries(req.env ?? {});
  if (entries.length > EXEC_LIMITS.envEntries) throw invalid('env', `at most ${EXEC_LIMITS.envEntries} variables`);
  for (const [name, value] of entries) {
    if (!ENV_NAME.test(name)) throw invalid(`env.${name.slice(0, 40)}`, 'a name is a letter or _ then letters, digits or _');
    if (typeof value !== 'string' || value.length > EXEC_LIMITS.envValueChars || !noNul(value))
      throw invalid(`env.${name}`, `must be a string of at most ${EXEC_LIMITS.envValueChars} characters without NUL`);
    env.push(`${name}=${value}`);
  }
  const spec: ExecSpec = { cmd: [...cmd], tty: req.tty === true, env, attachStdin };
  if (req.workingDir !== undefined) {
    const w = req.workingDir;
    if (typeof w !== 'string' || !w.startsWith('/') || w.length > EXEC_LIMITS.pathChars || !noNul(w))
      throw invalid('workingDir', 'must be an absolute path');
    spec.workingDir = w;
  }
  if (req.user !== undefined) {
    if (typeof req.user !== 'string' || !USER.test(req.user)) throw invalid('user', 'must be a user name or uid, optionally with :group or :gid');
    spec.user = req.user;
  }
  return spec;
}
