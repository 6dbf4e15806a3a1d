import { UpdateChecker } from '../../../src/domain/updates/update-checker';
import { ManifestLookupError, type ManifestSource, type RemoteManifest } from '../../../src/domain/updates/image-update';
import { RegistryAllowlist, type RegistryStore } from '../../../src/domain/registries/registry';
import type { ImageDetails, ImageRepository } from '../../../src/domain/images/image-repository';
import { parseChallenge } from '../../../src/engine/registry-manifest-client';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const REF = 'reg.example:5000/team/app:1';

const images = (repoDigests: string[]): ImageRepository => ({
  list: async () => [],
  inspect: async () => ({ id: 'sha256:img', repoDigests, repoTags: [REF] }) as unknown as ImageDetails,
  history: async () => [],
});
const store: RegistryStore = {
  list: async () => [],
  get: async () => undefined,
  credentials: async () => undefined,
  add: async () => {
    throw new Error('no');
  },
  remove: async () => false,
};

/** A registry fake that answers `answer()` after the test releases it, counting the calls. */
function source(answer: () => RemoteManifest) {
  const calls: string[] = [];
  const src: ManifestSource = { digestOf: async (t) => (calls.push(t.tag), answer()) };
  return { src, calls };
}

function checker(opts: { registry: ManifestSource; engine?: ManifestSource; digests?: string[]; now?: () => number; ttlMs?: number }) {
  let forget: (name: string) => void = () => undefined;
  const c = new UpdateChecker(
    {
      images: images(opts.digests ?? [`reg.example:5000/team/app@${D1}`, `reg.example:5000/other/app@${D2}`]),
      registry: opts.registry,
      engine: opts.engine ?? {
        digestOf: async () => {
          throw new ManifestLookupError('registry_unreachable', 'unused');
        },
      },
      allowlist: new RegistryAllowlist(['reg.example:5000']),
      store,
      now: opts.now ?? (() => 1000),
      watch: (f) => (forget = f),
    },
    { ttlMs: opts.ttlMs ?? 60_000, lookupTimeoutMs: 1000 },
  );
  return { c, forget: (n: string) => forget(n) };
}

describe('UpdateChecker', () => {
  test('when another repository of the same image has the registry digest, then it still is outdated (only this repository counts)', async () => {
    const { src } = source(() => ({ digest: D2, mediaType: 'x' }));
    const { c } = checker({ registry: src });
    const u = await c.check(REF);
    expect(u).toMatchObject({ status: 'outdated', localDigests: [`reg.example:5000/team/app@${D1}`] });
  });

  test('when checks of one reference overlap, then the registry is asked once; a later one within the TTL is cached', async () => {
    const { src, calls } = source(() => ({ digest: D1, mediaType: 'x' }));
    const { c } = checker({ registry: src });
    const all = await Promise.all([c.check(REF), c.check(REF), c.check(REF)]);
    expect(all.map((u) => u.status)).toEqual(['up_to_date', 'up_to_date', 'up_to_date']);
    expect(calls).toHaveLength(1);
    await c.check(REF);
    expect(calls).toHaveLength(1);
    await c.check(REF, { refresh: true });
    expect(calls).toHaveLength(2);
  });

  test('when the TTL passes or a pull of the reference is seen, then the registry is asked again', async () => {
    let now = 0;
    const { src, calls } = source(() => ({ digest: D1, mediaType: 'x' }));
    const { c, forget } = checker({ registry: src, now: () => now, ttlMs: 100 });
    await c.check(REF);
    now = 150;
    await c.check(REF);
    expect(calls).toHaveLength(2);
    forget('reg.example:5000/team/app:1');
    await c.check(REF);
    expect(calls).toHaveLength(3);
    expect(c.cachedRemote(REF)).toEqual({ digest: D1, checkedAt: new Date(150).toISOString() });
  });

  test('when a HEAD gives no digest, then the engine is asked instead', async () => {
    const registry: ManifestSource = {
      digestOf: async () => {
        throw new ManifestLookupError('unsupported', 'no header');
      },
    };
    const { src } = source(() => ({ digest: D1, mediaType: 'm' }));
    const { c } = checker({ registry, engine: src });
    expect(await c.check(REF)).toMatchObject({ status: 'up_to_date', remote: { digest: D1, via: 'engine' } });
  });

  test('when the registry refuses, then unknown with the reason; an outdated answer reaches the listeners', async () => {
    const registry: ManifestSource = {
      digestOf: async () => {
        throw new ManifestLookupError('rate_limited', '429');
      },
    };
    const { c } = checker({ registry });
    expect(await c.check(REF)).toMatchObject({ status: 'unknown', reason: 'rate_limited', remote: null });
    const { src } = source(() => ({ digest: D2, mediaType: 'x' }));
    const seen: string[] = [];
    const other = checker({ registry: src }).c;
    other.onOutdated((u) => seen.push(u.reference));
    await other.check(REF);
    expect(seen).toEqual([REF]);
  });

  test('when the registry is not allowed, then registry_not_allowed before anything is asked', async () => {
    const { src, calls } = source(() => ({ digest: D1, mediaType: 'x' }));
    const { c } = checker({ registry: src });
    await expect(c.check('evil.example/x:1')).rejects.toMatchObject({ code: 'registry_not_allowed' });
    expect(calls).toHaveLength(0);
  });
});

describe('parseChallenge', () => {
  test.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
      'bearer',
      { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' },
    ],
    ['Basic realm="test-realm"', 'basic', { realm: 'test-realm' }],
  ])('when the header is %s, then its scheme and parameters', (header, scheme, params) => {
    expect(parseChallenge(header)).toEqual({ scheme, params });
  });
});
