import { DomainError } from '../errors';
import { checkUuid } from '../ids';
import { normalizeHost, type RegistryAllowlist, type RegistryRecord, type RegistryStore } from './registry';

const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::\d{1,5})?$/;

export interface NewRegistry {
  serverAddress: string;
  username: string;
  password?: string;
  identityToken?: string;
}

/** Stored registry logins: checked on the way in, returned without their secret. */
export class RegistryService {
  constructor(
    private readonly store: RegistryStore,
    private readonly allowlist: RegistryAllowlist,
  ) {}

  async add(input: NewRegistry): Promise<RegistryRecord> {
    // A URL-ish address (https://host/v1/) is reduced to the host the engine and the allowlist compare on.
    const serverAddress = normalizeHost(input.serverAddress.replace(/^https?:\/\//i, '').replace(/\/.*$/, ''));
    if (!HOST.test(serverAddress))
      throw new DomainError('invalid_request', `serverAddress "${input.serverAddress.slice(0, 100)}" must be a host with an optional port`);
    this.allowlist.check(serverAddress);
    if ((input.password === undefined) === (input.identityToken === undefined)) {
      throw new DomainError('invalid_request', 'give exactly one of password or identityToken');
    }
    const existing = (await this.store.list()).find((r) => r.serverAddress === serverAddress && r.username === input.username);
    if (existing) {
      throw new DomainError('conflict', `a login for ${input.username} at ${serverAddress} is already stored (id ${existing.id}); delete it first`, {
        id: existing.id,
      });
    }
    return this.store.add({ ...input, serverAddress });
  }

  list(): Promise<RegistryRecord[]> {
    return this.store.list();
  }

  async get(id: string): Promise<RegistryRecord> {
    const r = await this.store.get(checkUuid(id, 'registry'));
    if (!r) throw new DomainError('registry_not_found', `no stored registry ${id}`);
    return r;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.store.remove(checkUuid(id, 'registry')))) throw new DomainError('registry_not_found', `no stored registry ${id}`);
  }
}
