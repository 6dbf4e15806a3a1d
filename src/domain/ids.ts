import { DomainError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Job and registry ids are lowercase UUIDs; anything else is refused before a lookup. */
export function checkUuid(id: string, what: 'job' | 'registry' | 'webhook' | 'delivery' | 'trigger'): string {
  if (!UUID.test(id)) throw new DomainError('invalid_identifier', `"${id.slice(0, 64)}" is not a valid ${what} id (a lowercase UUID)`);
  return id;
}
