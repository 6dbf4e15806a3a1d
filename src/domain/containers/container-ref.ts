import { DomainError } from '../errors';

/*
 * dockerode concatenates these values into engine URLs, so each is checked against the engine's own grammar
 * before it leaves the domain: a `?`, `#`, `/` or `..` would otherwise reach the engine as another request.
 */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const SIGNAL = /^(?:(?:SIG)?[A-Z][A-Z0-9]*(?:[+-][0-9]{1,2})?|[0-9]{1,2})$/;
const MAX_REF = 128;

const invalid = (what: string, value: string, why: string) =>
  new DomainError('invalid_identifier', `${what} "${value.slice(0, 80)}" ${why}`, { [what]: value.slice(0, 80) });

/** A container id (full or a prefix) or name, as a path segment may carry it. Returns it without a leading `/`. */
export function parseContainerRef(input: string): string {
  const v = typeof input === 'string' && input.startsWith('/') ? input.slice(1) : String(input);
  if (v.length > MAX_REF || !NAME.test(v)) {
    throw invalid('container', v, 'is not a container id or name (at least 2 of [a-zA-Z0-9_.-], starting with a letter or digit)');
  }
  return v;
}

/** A name to give a container: the same grammar as the engine's (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`). */
export function parseContainerName(input: string): string {
  const v = typeof input === 'string' && input.startsWith('/') ? input.slice(1) : String(input);
  if (v.length > MAX_REF || !NAME.test(v)) {
    throw invalid('name', v, 'is not a valid container name (at least 2 of [a-zA-Z0-9_.-], starting with a letter or digit)');
  }
  return v;
}

export function parseSignal(input: string): string {
  if (input.length > 16 || !SIGNAL.test(input)) throw invalid('signal', input, 'is not a signal name or number');
  return input;
}

export function parseStopTimeout(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 300) {
    throw new DomainError('invalid_request', 'timeout must be a whole number of seconds between 0 and 300');
  }
  return seconds;
}
