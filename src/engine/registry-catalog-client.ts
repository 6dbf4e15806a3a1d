import { DomainError, isDomainError } from '../domain/errors';
import type { CatalogBounds, RegistryCatalog, RegistryEndpoint } from '../domain/images/image-search';

const PAGE_SIZE = 1000;

const unreachable = (endpoint: RegistryEndpoint, why: string): DomainError =>
  new DomainError('registry_unreachable', `registry ${endpoint.host}: ${why}`, { registry: endpoint.host });

/** Reads at most `max` bytes of a body; a larger answer is refused, not buffered. */
async function boundedText(res: Response, max: number, endpoint: RegistryEndpoint): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel();
    throw unreachable(endpoint, `answered more than ${max} bytes`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done || !value) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw unreachable(endpoint, `answered more than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `<…/v2/_catalog?last=x&n=100>; rel="next"` → that URL, only when it stays on the same registry. */
export function nextLink(link: string | null, base: string): string | undefined {
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  if (!m) return undefined;
  const url = new URL(m[1], base);
  return url.origin === new URL(base).origin ? url.toString() : undefined;
}

/**
 * The Registry v2 API over fetch. Every request is bounded (time, size), never follows a redirect (that could
 * lead anywhere: SSRF) and sends the stored login as Basic auth only to the registry it belongs to.
 */
export class RegistryCatalogClient implements RegistryCatalog {
  async repositories(endpoint: RegistryEndpoint, bounds: CatalogBounds): Promise<{ names: string[]; truncated: boolean }> {
    const names: string[] = [];
    let url: string | undefined = `${endpoint.baseUrl}/v2/_catalog?n=${PAGE_SIZE}`;
    while (url) {
      const { body, res } = await this.getJson(endpoint, url, bounds);
      const page = (body as { repositories?: unknown }).repositories;
      if (!Array.isArray(page)) throw unreachable(endpoint, 'the catalog answer has no repositories list');
      for (const n of page) {
        if (typeof n !== 'string') continue;
        if (names.length >= bounds.maxRepositories) return { names, truncated: true };
        names.push(n);
      }
      url = page.length > 0 ? nextLink(res.headers.get('link'), endpoint.baseUrl) : undefined;
    }
    return { names, truncated: false };
  }

  async tags(endpoint: RegistryEndpoint, repository: string, bounds: CatalogBounds): Promise<{ tags: string[]; truncated: boolean }> {
    const { body, res } = await this.getJson(endpoint, `${endpoint.baseUrl}/v2/${repository}/tags/list`, bounds, true);
    if (res.status === 404) return { tags: [], truncated: false };
    const all = (body as { tags?: unknown }).tags;
    const tags = (Array.isArray(all) ? all : []).filter((t): t is string => typeof t === 'string' && t.length <= 128);
    return { tags: tags.slice(0, bounds.maxTags), truncated: tags.length > bounds.maxTags };
  }

  private async getJson(endpoint: RegistryEndpoint, url: string, bounds: CatalogBounds, allow404 = false): Promise<{ body: unknown; res: Response }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (endpoint.basicAuth) {
      headers.Authorization = `Basic ${Buffer.from(`${endpoint.basicAuth.username}:${endpoint.basicAuth.password}`).toString('base64')}`;
    }
    const signal = AbortSignal.any([bounds.signal, AbortSignal.timeout(bounds.requestTimeoutMs)]);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { headers, redirect: 'manual', signal });
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw new DomainError('registry_auth_failed', `registry ${endpoint.host} refused the credentials (${res.status})`, {
          registry: endpoint.host,
        });
      }
      if (allow404 && res.status === 404) {
        await res.body?.cancel();
        return { body: {}, res };
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw unreachable(endpoint, `answered HTTP ${res.status}`);
      }
      text = await boundedText(res, bounds.maxResponseBytes, endpoint);
    } catch (err) {
      if (isDomainError(err)) throw err;
      const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
      if (e?.name === 'TimeoutError' || e?.name === 'AbortError') throw unreachable(endpoint, 'did not answer in time');
      throw unreachable(endpoint, e?.cause?.code ?? e?.cause?.message ?? e?.message ?? 'request failed');
    }
    try {
      return { body: JSON.parse(text) as unknown, res };
    } catch {
      throw unreachable(endpoint, 'answered something that is not JSON');
    }
  }
}
