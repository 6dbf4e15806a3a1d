import { createHash } from 'node:crypto';
import { DomainError } from '../errors';
import { roleAllows, type Role } from './roles';

/**
 * What a token below admin may not read — the one redaction policy of the service (docs/hardening.md, item 8).
 * Admins see everything; viewers and operators see the shape of a configuration, never the values that may be
 * secrets:
 *
 * - environment values (containers and images): `NAME=***`;
 * - command lines (container cmd, entrypoint and the list's `command`, image cmd and entrypoint, image history's
 *   `createdBy`, the command of an exec or health probe in an engine event's action): the program only, its
 *   arguments as one `***`;
 * - label values (containers, images, and the label attributes of engine events), except under the public
 *   namespaces below, which tools use to describe rather than configure;
 *
 * and every path applies it through this module: REST reads, the WebSocket `events` channel and GET /events.
 * A label filter that names a redacted label's value is refused for non-admins (it would test guesses).
 */
export const MASK = '***';

/** Label namespaces shown as they are: what images and tools use to describe things (never put secrets there). */
export const PUBLIC_LABEL_PREFIXES: readonly string[] = ['org.opencontainers.image.', 'org.label-schema.', 'com.docker.compose.', 'dockhand.'];

export const seesSecrets = (role: Role): boolean => roleAllows(role, 'admin');

export const labelValueShown = (key: string): boolean => PUBLIC_LABEL_PREFIXES.some((p) => key.startsWith(p));

/** `NAME=value` → `NAME=***`: names say what a container is configured with; values may be secrets. */
export function redactEnv(env: string[]): string[] {
  return env.map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? e : `${e.slice(0, i)}=${MASK}`;
  });
}

/** `["mysql", "-psecret"]` → `["mysql", "***"]`: the program, not its arguments. */
export function redactArgv(argv: string[] | null): string[] | null {
  if (!argv || argv.length <= 1) return argv;
  return [argv[0], MASK];
}

/**
 * Entrypoint and cmd are one command line: with an entrypoint, cmd is all arguments (`["***"]`); without one,
 * cmd's first word is the program.
 */
export function redactCommand(entrypoint: string[] | null, cmd: string[] | null): { entrypoint: string[] | null; cmd: string[] | null } {
  if (entrypoint && entrypoint.length > 0) return { entrypoint: redactArgv(entrypoint), cmd: cmd && cmd.length > 0 ? [MASK] : cmd };
  return { entrypoint, cmd: redactArgv(cmd) };
}

/** `sh -c 'mysql -psecret'` → `sh ***`: the first word, not the rest. */
export function redactCommandLine(line: string): string {
  const trimmed = line.trim();
  const space = trimmed.search(/\s/);
  return space < 0 ? trimmed : `${trimmed.slice(0, space)} ${MASK}`;
}

export function redactLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[k] = labelValueShown(k) ? v : MASK;
  return out;
}

/** Engine event attributes that are the engine's own words, not labels: shown as they are. */
const ENGINE_ATTRIBUTES = new Set([
  'image',
  'name',
  'exitCode',
  'signal',
  'execID',
  'container',
  'type',
  'driver',
  'destination',
  'propagation',
  'read/write',
  // Dockhand's own update_available event: an image id and registry digests are no secret.
  'imageId',
  'localDigest',
  'remoteDigest',
]);

/** Actions that carry a command line after `: ` (an exec, or a health probe, which is an exec). */
const COMMAND_ACTIONS = /^(exec_create|exec_start): (.*)$/s;

export function redactEventAction(action: string): string {
  const m = COMMAND_ACTIONS.exec(action);
  return m ? `${m[1]}: ${redactCommandLine(m[2])}` : action;
}

export function redactEventAttributes(attributes: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) out[k] = ENGINE_ATTRIBUTES.has(k) || labelValueShown(k) ? v : MASK;
  return out;
}

/** True when a `key=value` label filter would compare a value the role may not read. */
export function labelFilterHidden(filter: string, role: Role): boolean {
  const eq = filter.indexOf('=');
  return !seesSecrets(role) && eq >= 0 && !labelValueShown(filter.slice(0, eq));
}

/** Refuses (403) label filters that would let a role below admin test guesses at values it may not read. */
export function refuseHiddenLabelFilters(filters: string[] | undefined, role: Role): void {
  const hidden = (filters ?? []).find((f) => labelFilterHidden(f, role));
  if (hidden !== undefined) {
    throw new DomainError(
      'forbidden',
      `filtering on the value of label "${hidden.slice(0, hidden.indexOf('='))}" needs the admin role (its values are redacted below admin); filter on the key alone`,
    );
  }
}

/** A command for the audit log: its program, how many arguments, and a digest of the whole — never the arguments. */
export function commandFingerprint(argv: string[] | undefined | null): { program: string | null; args: number; sha256: string | null } {
  if (!argv || argv.length === 0) return { program: null, args: 0, sha256: null };
  return { program: argv[0], args: argv.length - 1, sha256: createHash('sha256').update(JSON.stringify(argv)).digest('hex').slice(0, 16) };
}

/**
 * `redact` as a view computed once per object the read caches hold (they freeze what they keep): the redacted
 * answer is then shared, frozen too, so its JSON and ETag are also computed once (src/http/json-answer.ts).
 */
export function viewOnce<T extends object>(redact: (v: T) => T): (v: T) => T {
  const memo = new WeakMap<T, T>();
  return (v) => {
    if (!Object.isFrozen(v)) return redact(v);
    let out = memo.get(v);
    if (!out) {
      out = Object.freeze(redact(v));
      memo.set(v, out);
    }
    return out;
  };
}
