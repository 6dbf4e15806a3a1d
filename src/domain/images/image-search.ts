import { DomainError } from '../errors';
import { normalizeHost, type RegistryAllowlist, type RegistryStore } from '../registries/registry';
import { DEFAULT_REGISTRY, parseReference } from './reference';

export interface SearchItem {
  name: string;
  description?: string;
  stars?: number;
  official?: boolean;
  automated?: boolean;
  tags?: string[];
}

export interface SearchResult {
  registry: string;
  items: SearchItem[];
  truncated: boolean;
}

/** Docker Hub search through the engine; fails with registry_unreachable within `timeoutMs`. */
export interface HubSearch {
  search(term: string, limit: number, timeoutMs: number): Promise<SearchItem[]>;
}

/** Where and how to speak the Registry v2 API. */
export interface RegistryEndpoint {
  /** host[:port], already allowlisted. */
  host: string;
  /** `http://127.0.0.1:5000` or `https://registry.example.com`. */
  baseUrl: string;
  basicAuth?: { username: string; password: string };
}

export interface CatalogBounds {
  maxRepositories: number;
  maxTags: number;
  maxResponseBytes: number;
  requestTimeoutMs: number;
  /** Aborts everything still in flight when the overall budget is spent. */
  signal: AbortSignal;
}

/** The Registry v2 API (`_catalog`, `tags/list`): the adapter does the HTTP, bounded. */
export interface RegistryCatalog {
  repositories(endpoint: RegistryEndpoint, bounds: CatalogBounds): Promise<{ names: string[]; truncated: boolean }>;
  /** Tags of a validated repository name; [] when the registry no longer knows it. */
  tags(endpoint: RegistryEndpoint, repository: string, bounds: CatalogBounds): Promise<{ tags: string[]; truncated: boolean }>;
}

export interface SearchOptions {
  /** Docker Hub through the engine: 6 s (see openapi.yaml for why). */
  hubTimeoutMs: number;
  maxRepositories: number;
  maxTags: number;
  maxResponseBytes: number;
  requestTimeoutMs: number;
  overallTimeoutMs: number;
  tagConcurrency: number;
}

export const DEFAULT_SEARCH_OPTIONS: SearchOptions = {
  hubTimeoutMs: 6000,
  maxRepositories: 5000,
  maxTags: 1000,
  maxResponseBytes: 1024 * 1024,
  requestTimeoutMs: 5000,
  overallTimeoutMs: 15000,
  tagConcurrency: 4,
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A `registry` value naming a host (`.`, `:` or `localhost`) rather than a stored registry id. */
export const looksLikeHost = (v: string): boolean => v.includes('.') || v.includes(':') || v === 'localhost';

/** `https://reg.example.com:5000/v2/` → `reg.example.com:5000`. */
export function hostOf(serverAddress: string): string {
  return serverAddress.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

export function endpointFor(host: string, basicAuth?: RegistryEndpoint['basicAuth']): RegistryEndpoint {
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  const scheme = LOOPBACK.has(hostname.toLowerCase()) ? 'http' : 'https';
  return { host, baseUrl: `${scheme}://${host}`, ...(basicAuth ? { basicAuth } : {}) };
}

/** A catalog entry we may put in a URL path: the reference grammar's repository path, nothing else. */
function isRepositoryName(host: string, name: string): boolean {
  try {
    const ref = parseReference(`${host}/${name}`);
    return ref.registry === host && ref.repository === name;
  } catch {
    return false;
  }
}

/** Docker Hub search through the engine, or a bounded browse of a private registry's catalog. */
export class ImageSearchService {
  constructor(
    private readonly deps: { hub: HubSearch; catalog: RegistryCatalog; allowlist: RegistryAllowlist; store?: RegistryStore },
    private readonly opts: SearchOptions = DEFAULT_SEARCH_OPTIONS,
  ) {}

  async search(q: { term?: string; limit: number; registry?: string }): Promise<SearchResult> {
    if (q.registry === undefined) {
      if (!q.term) throw new DomainError('invalid_request', 'term is required to search Docker Hub');
      // The engine sends `host/rest` to that host's search endpoint: a term naming a host would make it a probe.
      const slash = q.term.indexOf('/');
      if (slash >= 0 && looksLikeHost(q.term.slice(0, slash))) {
        throw new DomainError('invalid_request', 'a Docker Hub search term cannot name a registry host (use `registry` to browse one)');
      }
      this.deps.allowlist.check(DEFAULT_REGISTRY);
      const items = await this.deps.hub.search(q.term, q.limit, this.opts.hubTimeoutMs);
      return { registry: DEFAULT_REGISTRY, items: items.slice(0, q.limit), truncated: false };
    }
    const endpoint = await this.resolve(q.registry);
    return this.browse(endpoint, q.term, q.limit);
  }

  /** Host or stored id → an allowlisted endpoint; no network call happens before the allowlist check. */
  private async resolve(registry: string): Promise<RegistryEndpoint> {
    if (looksLikeHost(registry)) {
      this.deps.allowlist.check(registry);
      return endpointFor(registry);
    }
    const creds = this.deps.store ? await this.deps.store.credentials(registry) : undefined;
    if (!creds) throw new DomainError('registry_not_found', `no stored registry with id "${registry}"`, { registryId: registry });
    const host = hostOf(creds.serverAddress);
    this.deps.allowlist.check(host);
    if (normalizeHost(host) === DEFAULT_REGISTRY) {
      throw new DomainError('invalid_request', 'Docker Hub has no browsable catalog: search it without `registry`');
    }
    if (creds.password === undefined) {
      throw new DomainError('registry_auth_failed', 'browsing a registry needs a stored password; identity tokens are not supported here');
    }
    return endpointFor(host, { username: creds.username, password: creds.password });
  }

  private async browse(endpoint: RegistryEndpoint, term: string | undefined, limit: number): Promise<SearchResult> {
    const signal = AbortSignal.timeout(this.opts.overallTimeoutMs);
    const bounds: CatalogBounds = {
      maxRepositories: this.opts.maxRepositories,
      maxTags: this.opts.maxTags,
      maxResponseBytes: this.opts.maxResponseBytes,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      signal,
    };
    const catalog = await this.deps.catalog.repositories(endpoint, bounds);
    const needle = term?.toLowerCase();
    const matching = catalog.names
      .filter((n) => (needle ? n.toLowerCase().includes(needle) : true))
      .filter((n) => isRepositoryName(endpoint.host, n))
      .sort();
    const chosen = matching.slice(0, limit);
    let truncated = catalog.truncated || matching.length > chosen.length;
    const items = new Array<SearchItem>(chosen.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chosen.length) {
        const i = next++;
        const t = await this.deps.catalog.tags(endpoint, chosen[i], bounds);
        if (t.truncated) truncated = true;
        items[i] = { name: chosen[i], tags: [...t.tags].sort() };
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.tagConcurrency, chosen.length) }, worker));
    return { registry: endpoint.host, items, truncated };
  }
}
