import { DomainError } from '../errors';

/*
 * The engine matches the images list's `reference` filter with Go's path.Match, which fails the whole listing
 * (a 500 from the engine) on a malformed pattern: an unclosed `[`, an empty class, a range with no end. Found by
 * the fuzzer (test/integration/hardening/fuzz.test.ts); refused here as the client's mistake instead.
 */
const LITERAL = '[A-Za-z0-9._/:@*?-]';
const CLASS_CHAR = '[A-Za-z0-9._/:@*?]';
const CLASS = `\\[(?:${CLASS_CHAR}(?:-${CLASS_CHAR})?)+\\]`;
const PATTERN = new RegExp(`^(?:${LITERAL}|${CLASS})+$`);

/** Throws invalid_request unless `pattern` is a glob the engine accepts (`*`, `?`, `[a-z]` classes, literals). */
export function checkReferencePattern(pattern: string): string {
  if (!PATTERN.test(pattern)) {
    throw new DomainError('invalid_request', `reference filter "${pattern.slice(0, 80)}" is not a valid pattern (an unclosed or empty [ ] class?)`, {
      errors: [{ path: 'query.reference', message: 'must be a glob of literals, *, ? and [a-z] classes' }],
    });
  }
  return pattern;
}
