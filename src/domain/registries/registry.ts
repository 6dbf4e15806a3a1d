import { DomainError } from '../errors';

/** A stored registry login. The secret never leaves the store except as an X-Registry-Auth header. */
export interface RegistryRecord {
  id: string;
  serverAddress: string;
  username: string;
  createdAt: string;
}

export interface RegistryCredentials {
  serverAddress: string;
  username: string;
  password?: string;
  identityToken?: string;
}

export interface RegistryStore {
  list(): Promise<RegistryRecord[]>;
  get(id: string): Promise<RegistryRecord | undefined>;
  /** The record with its secret, for building X-Registry-Auth. */
  credentials(id: string): Promise<RegistryCredentials | undefined>;
  add(creds: RegistryCredentials): Promise<RegistryRecord>;
  remove(id: string): Promise<boolean>;
}

/**
 * The SSRF guard: a pull, push or search may only name a registry in ALLOWED_REGISTRIES. Hosts compare
 * case-insensitively; `index.docker.io` and `registry-1.docker.io` are docker.io.
 */
export class RegistryAllowlist {
  private readonly allowed: Set<string>;

  constructor(hosts: string[]) {
    this.allowed = new Set(hosts.map(normalizeHost));
  }

  allows(registry: string): boolean {
    return this.allowed.has(normalizeHost(registry));
  }

  /** Throws registry_not_allowed; call before any engine or network call. */
  check(registry: string): void {
    if (!this.allows(registry)) {
      throw new DomainError('registry_not_allowed', `registry "${registry}" is not in ALLOWED_REGISTRIES`, { registry });
    }
  }

  list(): string[] {
    return [...this.allowed];
  }
}

export function normalizeHost(host: string): string {
  const h = host.toLowerCase();
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h;
}
