import type Docker from 'dockerode';
import { DomainError } from '../domain/errors';
import type { HubSearch, SearchItem } from '../domain/images/image-search';
import { engineMessage, toDomainError } from './engine-errors';

interface HubRow {
  name: string;
  description?: string;
  star_count?: number;
  is_official?: boolean;
  is_automated?: boolean;
}

const ADDRESS = [
  /[a-z][a-z0-9+.-]*:\/\/[^\s"']+/gi, // URLs
  /\[[0-9a-f:.]+\](?::\d+)?/gi, // [IPv6]:port
  /\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, // IPv4:port
  /\b(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\b/gi, // bare IPv6
  /\b[a-z0-9-]+(?:\.[a-z0-9-]+)*:\d{1,5}\b/gi, // host:port
  /\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b/gi, // host names
];

/**
 * The engine's failure text without the addresses it dialled (`dial tcp 10.0.0.5:443: connect: refused`): a
 * search answer must not tell a viewer which hosts and ports answer, or it is a port scanner.
 */
export function withoutAddresses(message: string): string {
  return ADDRESS.reduce((m, re) => m.replace(re, '<address>'), message);
}

/**
 * `GET /images/search`: the engine asks Docker Hub. With no route to Hub the engine may fail at once (DNS) or
 * hang on connect for its own 30 s dial timeout, so the call is aborted after `timeoutMs` either way.
 */
export class DockerHubSearch implements HubSearch {
  constructor(private readonly docker: Docker) {}

  async search(term: string, limit: number, timeoutMs: number): Promise<SearchItem[]> {
    const abortSignal = AbortSignal.timeout(timeoutMs);
    let rows: HubRow[];
    try {
      rows = (await this.docker.searchImages({ term, limit, abortSignal })) as HubRow[];
    } catch (err) {
      const e = err as { statusCode?: number; name?: string };
      if (abortSignal.aborted || e?.name === 'AbortError') {
        throw new DomainError('registry_unreachable', `Docker Hub search did not answer within ${timeoutMs} ms`, { registry: 'docker.io' });
      }
      // The engine answered, so it is up: a 5xx here is its failure to reach Docker Hub.
      if (typeof e?.statusCode === 'number' && e.statusCode >= 500) {
        throw new DomainError('registry_unreachable', `Docker Hub cannot be reached: ${withoutAddresses(engineMessage(err))}`, {
          registry: 'docker.io',
        });
      }
      const mapped = toDomainError(err);
      throw new DomainError(mapped.code, withoutAddresses(mapped.message), mapped.details);
    }
    return (Array.isArray(rows) ? rows : []).map((r) => ({
      name: r.name,
      description: r.description ?? '',
      stars: Math.max(0, r.star_count ?? 0),
      official: Boolean(r.is_official),
      automated: Boolean(r.is_automated),
    }));
  }
}
