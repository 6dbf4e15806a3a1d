import {
  ManifestLookupError,
  type ManifestCredentials,
  type ManifestSource,
  type ManifestTarget,
  type RemoteManifest,
} from '../domain/updates/image-update';
import { endpointFor } from '../domain/images/image-search';

/** Every manifest kind a tag may point at: with all of them accepted, the registry answers the one it stores. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
];

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"` → { scheme, params }. */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) params[p[1].toLowerCase()] = p[2] ?? p[3] ?? '';
  return { scheme: m[1].toLowerCase(), params };
}

const basic = (c: ManifestCredentials): string => `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`;

/**
 * A HEAD of the tag's manifest with every manifest type in Accept (Docker Hub does not count a HEAD as a pull): the
 * Docker-Content-Digest is then the digest of what a pull by tag records as RepoDigest. Bearer realms get the
 * token flow, Basic realms (htpasswd) the stored login. Loopback registries are plain HTTP, as the engine treats
 * them. Never follows redirects; a token realm must be https or on the registry's own origin.
 */
export class RegistryManifestClient implements ManifestSource {
  constructor(private readonly requestTimeoutMs: number) {}

  async digestOf(target: ManifestTarget, creds: ManifestCredentials | undefined, signal: AbortSignal): Promise<RemoteManifest> {
    const host = target.registry === 'docker.io' ? 'registry-1.docker.io' : target.registry;
    const base = endpointFor(host).baseUrl;
    const url = `${base}/v2/${target.repository}/manifests/${encodeURIComponent(target.tag)}`;
    let res = await this.head(url, undefined, signal, target);
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      const authorization = await this.authorize(challenge, base, target, creds, signal);
      res = await this.head(url, authorization, signal, target);
    }
    return this.answer(res, target);
  }

  private answer(res: Response, target: ManifestTarget): RemoteManifest {
    const where = `${target.registry}/${target.repository}:${target.tag}`;
    if (res.status === 401 || res.status === 403)
      throw new ManifestLookupError('unauthorized', `${target.registry} refused access to ${where} (${res.status})`);
    if (res.status === 404) throw new ManifestLookupError('not_found', `${where} is not in the registry`);
    if (res.status === 429) throw new ManifestLookupError('rate_limited', `${target.registry} answered 429 (rate limited)`);
    if (res.status >= 500) throw new ManifestLookupError('registry_unreachable', `${target.registry} answered HTTP ${res.status}`);
    const digest = res.headers.get('docker-content-digest') ?? '';
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    if (res.status !== 200 || !DIGEST.test(digest)) {
      throw new ManifestLookupError('unsupported', `${target.registry} gave no digest for a HEAD of the manifest (HTTP ${res.status})`);
    }
    return { digest, mediaType };
  }

  private async authorize(
    challenge: ReturnType<typeof parseChallenge>,
    base: string,
    target: ManifestTarget,
    creds: ManifestCredentials | undefined,
    signal: AbortSignal,
  ): Promise<string> {
    const denied = (why: string) => new ManifestLookupError('unauthorized', `${target.registry}: ${why}`);
    if (challenge?.scheme === 'basic') {
      if (!creds || creds.password === undefined) throw denied('the registry asks for a login and none is stored for it');
      return basic(creds);
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) throw denied('the registry asks for an authentication it does not name');
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm);
    } catch {
      throw denied('the token realm is not a URL');
    }
    if (realm.protocol !== 'https:' && realm.origin !== new URL(base).origin)
      throw denied(`the token realm ${realm.origin} is neither https nor the registry itself`);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', `repository:${target.repository}:pull`);
    const headers: Record<string, string> = {};
    if (creds?.identityToken) {
      // An identity token is a refresh token: the OAuth2 POST form of the token endpoint exchanges it.
      return this.tokenFromRefresh(realm, creds, challenge.params.service ?? '', target, signal);
    }
    if (creds?.password !== undefined) headers.Authorization = basic(creds);
    const res = await this.request(realm.toString(), { headers }, signal, target);
    if (res.status === 401 || res.status === 403) throw denied(`the token service refused the login (${res.status})`);
    if (res.status === 429) throw new ManifestLookupError('rate_limited', `${target.registry}: the token service answered 429`);
    if (res.status !== 200)
      throw new ManifestLookupError('registry_unreachable', `${target.registry}: the token service answered HTTP ${res.status}`);
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new ManifestLookupError('registry_unreachable', `${target.registry}: the token service gave no token`);
    return `Bearer ${token}`;
  }

  private async tokenFromRefresh(
    realm: URL,
    creds: ManifestCredentials,
    service: string,
    target: ManifestTarget,
    signal: AbortSignal,
  ): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: creds.identityToken ?? '',
      service,
      scope: `repository:${target.repository}:pull`,
      client_id: 'dockhand',
    });
    const res = await this.request(
      realm.origin + realm.pathname,
      { method: 'POST', body: form, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
      signal,
      target,
    );
    if (res.status !== 200)
      throw new ManifestLookupError(
        res.status === 401 || res.status === 403 ? 'unauthorized' : 'registry_unreachable',
        `${target.registry}: the token service answered HTTP ${res.status}`,
      );
    const body = (await res.json().catch(() => ({}))) as { access_token?: string };
    if (!body.access_token) throw new ManifestLookupError('registry_unreachable', `${target.registry}: the token service gave no token`);
    return `Bearer ${body.access_token}`;
  }

  private head(url: string, authorization: string | undefined, signal: AbortSignal, target: ManifestTarget): Promise<Response> {
    const headers: Record<string, string> = { Accept: MANIFEST_MEDIA_TYPES.join(', ') };
    if (authorization) headers.Authorization = authorization;
    return this.request(url, { method: 'HEAD', headers }, signal, target);
  }

  private async request(url: string, init: RequestInit, signal: AbortSignal, target: ManifestTarget): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(this.requestTimeoutMs)]) });
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
      const why =
        e?.name === 'TimeoutError' || e?.name === 'AbortError'
          ? 'did not answer in time'
          : (e?.cause?.code ?? e?.cause?.message ?? e?.message ?? 'request failed');
      throw new ManifestLookupError('registry_unreachable', `registry ${target.registry}: ${why}`);
    }
  }
}
