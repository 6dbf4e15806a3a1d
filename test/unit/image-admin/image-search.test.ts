import type Docker from 'dockerode';
import {
  DEFAULT_SEARCH_OPTIONS,
  ImageSearchService,
  endpointFor,
  type RegistryCatalog,
  type RegistryEndpoint,
} from '../../../src/domain/images/image-search';
import { RegistryAllowlist, type RegistryCredentials, type RegistryStore } from '../../../src/domain/registries/registry';
import { DockerHubSearch, withoutAddresses } from '../../../src/engine/docker-hub-search';
import { nextLink } from '../../../src/engine/registry-catalog-client';

/** A catalog that records every endpoint it was asked about. */
function fakeCatalog(repos: string[], tags: Record<string, string[]> = {}) {
  const calls: RegistryEndpoint[] = [];
  const catalog: RegistryCatalog = {
    repositories: async (e) => {
      calls.push(e);
      return { names: repos, truncated: false };
    },
    tags: async (e, r) => {
      calls.push(e);
      return { tags: tags[r] ?? [], truncated: false };
    },
  };
  return { catalog, calls };
}

const storeWith = (id: string, creds: RegistryCredentials): RegistryStore => ({
  list: async () => [],
  get: async () => undefined,
  credentials: async (x) => (x === id ? creds : undefined),
  add: async () => {
    throw new Error('unused');
  },
  remove: async () => false,
});

const hubNeverCalled = { search: jest.fn() };

describe('ImageSearchService', () => {
  test('when the registry is not allowed, then registry_not_allowed and the catalog is never asked', async () => {
    const { catalog, calls } = fakeCatalog(['x']);
    const svc = new ImageSearchService({ hub: hubNeverCalled, catalog, allowlist: new RegistryAllowlist(['docker.io']) });
    await expect(svc.search({ registry: '10.0.0.1:5000', limit: 10 })).rejects.toMatchObject({ code: 'registry_not_allowed' });
    expect(calls).toHaveLength(0);
  });

  test('when a stored registry points outside the allowlist, then registry_not_allowed before any call', async () => {
    const { catalog, calls } = fakeCatalog(['x']);
    const store = storeWith('id1', { serverAddress: 'https://evil.example:443/v2/', username: 'u', password: 'p' });
    const svc = new ImageSearchService({ hub: hubNeverCalled, catalog, allowlist: new RegistryAllowlist(['docker.io']), store });
    await expect(svc.search({ registry: 'id1', limit: 10 })).rejects.toMatchObject({ code: 'registry_not_allowed' });
    expect(calls).toHaveLength(0);
  });

  test('when browsing by stored id, then its login goes as Basic auth, over https for a remote host', async () => {
    const { catalog, calls } = fakeCatalog(['team/app'], { 'team/app': ['2', '1'] });
    const store = storeWith('id1', { serverAddress: 'reg.example:5000', username: 'u', password: 'p' });
    const svc = new ImageSearchService({ hub: hubNeverCalled, catalog, allowlist: new RegistryAllowlist(['reg.example:5000']), store });
    const res = await svc.search({ registry: 'id1', limit: 10 });
    expect(res).toEqual({ registry: 'reg.example:5000', items: [{ name: 'team/app', tags: ['1', '2'] }], truncated: false });
    expect(calls[0]).toEqual({ host: 'reg.example:5000', baseUrl: 'https://reg.example:5000', basicAuth: { username: 'u', password: 'p' } });
  });

  test('when a stored login has only an identity token, then registry_auth_failed without a call', async () => {
    const { catalog, calls } = fakeCatalog([]);
    const store = storeWith('id1', { serverAddress: 'reg.example', username: 'u', identityToken: 't' });
    const svc = new ImageSearchService({ hub: hubNeverCalled, catalog, allowlist: new RegistryAllowlist(['reg.example']), store });
    await expect(svc.search({ registry: 'id1', limit: 10 })).rejects.toMatchObject({ code: 'registry_auth_failed' });
    expect(calls).toHaveLength(0);
  });

  test('when the catalog holds names outside the grammar, then they are skipped, never put in a URL', async () => {
    const { catalog, calls } = fakeCatalog(['good/app', '../../etc', 'Bad/Upper', 'a?b=c']);
    const svc = new ImageSearchService({ hub: hubNeverCalled, catalog, allowlist: new RegistryAllowlist(['127.0.0.1:5000']) });
    const res = await svc.search({ registry: '127.0.0.1:5000', limit: 10 });
    expect(res.items.map((i) => i.name)).toEqual(['good/app']);
    expect(calls.every((c) => c.baseUrl === 'http://127.0.0.1:5000')).toBe(true);
  });

  test('when more repositories match than the limit, then the first ones by name come back and truncated is true', async () => {
    const { catalog } = fakeCatalog(['c/app', 'a/app', 'b/app', 'zzz']);
    const svc = new ImageSearchService({ hub: hubNeverCalled, catalog, allowlist: new RegistryAllowlist(['localhost:5000']) });
    const res = await svc.search({ registry: 'localhost:5000', term: 'APP', limit: 2 });
    expect(res.items.map((i) => i.name)).toEqual(['a/app', 'b/app']);
    expect(res.truncated).toBe(true);
  });

  test('when searching Docker Hub, then the engine is asked with the bounded timeout', async () => {
    const hub = { search: jest.fn(async () => [{ name: 'busybox' }]) };
    const svc = new ImageSearchService({ hub, catalog: fakeCatalog([]).catalog, allowlist: new RegistryAllowlist(['docker.io']) });
    const res = await svc.search({ term: 'busybox', limit: 5 });
    expect(res).toEqual({ registry: 'docker.io', items: [{ name: 'busybox' }], truncated: false });
    expect(hub.search).toHaveBeenCalledWith('busybox', 5, DEFAULT_SEARCH_OPTIONS.hubTimeoutMs);
  });
});

describe('endpointFor', () => {
  test.each([
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['localhost:5000', 'http://localhost:5000'],
    ['[::1]:5000', 'http://[::1]:5000'],
    ['registry.example.com', 'https://registry.example.com'],
    ['127.0.0.1.nip.io:5000', 'https://127.0.0.1.nip.io:5000'],
  ])('when the host is %s, then the base URL is %s', (host, url) => {
    expect(endpointFor(host).baseUrl).toBe(url);
  });
});

describe('nextLink', () => {
  test('when the Link header points at the same registry, then it is followed; another origin never is', () => {
    const base = 'http://127.0.0.1:5000';
    expect(nextLink('</v2/_catalog?last=a&n=2>; rel="next"', base)).toBe('http://127.0.0.1:5000/v2/_catalog?last=a&n=2');
    expect(nextLink('<http://evil.example/v2/_catalog>; rel="next"', base)).toBeUndefined();
    expect(nextLink(null, base)).toBeUndefined();
  });
});

describe('DockerHubSearch', () => {
  const hubWith = (searchImages: (opts: { abortSignal: AbortSignal }) => Promise<unknown>) =>
    new DockerHubSearch({ searchImages } as unknown as Docker);

  test('when the engine never answers, then the call is aborted and fails as registry_unreachable', async () => {
    let signal: AbortSignal | undefined;
    const hub = hubWith(
      (opts) =>
        new Promise((_, reject) => {
          signal = opts.abortSignal;
          opts.abortSignal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        }),
    );
    await expect(hub.search('busybox', 5, 20)).rejects.toMatchObject({ code: 'registry_unreachable' });
    expect(signal?.aborted).toBe(true);
  });

  test('when the engine answers 500 (it could not reach Hub), then registry_unreachable with its message', async () => {
    const hub = hubWith(async () => {
      throw Object.assign(new Error('(HTTP code 500) server error - lookup index.docker.io: no such host'), { statusCode: 500 });
    });
    await expect(hub.search('busybox', 5, 1000)).rejects.toMatchObject({
      code: 'registry_unreachable',
      message: expect.stringContaining('no such host'),
    });
  });

  test('when the engine itself cannot be reached, then engine_unavailable, not a registry problem', async () => {
    const hub = hubWith(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    });
    await expect(hub.search('busybox', 5, 1000)).rejects.toMatchObject({ code: 'engine_unavailable' });
  });
});

describe('Hub search is not a network probe', () => {
  test.each(['evil.com/x', 'localhost/x', '127.0.0.1:22/x', '[::1]:5000/x', 'docker.io/busybox', 'a.b/c/d'])(
    'when the Hub term %s names a host, then invalid_request and the engine is not asked',
    async (term) => {
      const hub = { search: jest.fn() };
      const svc = new ImageSearchService({ hub, catalog: fakeCatalog([]).catalog, allowlist: new RegistryAllowlist(['docker.io']) });
      await expect(svc.search({ term, limit: 5 })).rejects.toMatchObject({ code: 'invalid_request' });
      expect(hub.search).not.toHaveBeenCalled();
    },
  );

  test.each(['busybox', 'team/app', 'nginx:alpine', 'a-b_c'])('when the Hub term %s names no host, then the engine is asked', async (term) => {
    const hub = { search: jest.fn(async () => []) };
    const svc = new ImageSearchService({ hub, catalog: fakeCatalog([]).catalog, allowlist: new RegistryAllowlist(['docker.io']) });
    await svc.search({ term, limit: 5 });
    expect(hub.search).toHaveBeenCalledTimes(1);
  });

  test.each([
    ['Get "https://index.docker.io/v1/search?q=x&n=25": dial tcp: lookup index.docker.io on 10.0.0.2:53: no such host', 'no such host'],
    ['dial tcp 10.231.1.5:5000: connect: connection refused', 'connection refused'],
    ['dial tcp [fe80::1]:22: connect: connection refused', 'connection refused'],
    ['dial tcp 192.168.0.1:443: i/o timeout', 'i/o timeout'],
    ['lookup evil.example.com: no such host', 'no such host'],
  ])('when the engine reports %s, then the addresses are taken out and the reason kept', (raw, reason) => {
    const out = withoutAddresses(raw);
    expect(out).toContain(reason);
    expect(out).not.toMatch(/\d+\.\d+\.\d+\.\d+|fe80|example\.com|docker\.io|:\d+/);
  });
});
