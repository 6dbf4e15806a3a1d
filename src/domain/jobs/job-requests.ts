import { DomainError } from '../errors';
import { parseImageLookup, resolveReference } from '../images/reference';
import type { PullTarget, PushTarget } from '../images/image-transfer';
import { normalizeHost, type RegistryAllowlist } from '../registries/registry';

const PLATFORM = /^[a-z0-9_-]{1,32}\/[a-z0-9_-]{1,32}(?:\/[a-z0-9_.-]{1,32})?$/;
export interface ResolvedTransfer<T> {
  /** What the job shows: the normalized reference. */
  image: string;
  registry: string;
  target: T;
}

/**
 * A pull request made safe: the reference parsed (no tag means `:latest`, never every tag), its
 * registry checked against the allowlist, the platform checked. No engine call has happened yet.
 */
export function resolvePull(image: string, platform: string | undefined, allowlist: RegistryAllowlist): ResolvedTransfer<PullTarget> {
  const ref = resolveReference(image);
  allowlist.check(ref.registry);
  if (platform !== undefined && !PLATFORM.test(platform)) {
    throw new DomainError('invalid_request', `platform "${platform.slice(0, 64)}" must be os/arch[/variant], e.g. linux/amd64`);
  }
  const tagOrDigest = ref.reference.digest ?? ref.reference.tag ?? 'latest';
  return {
    image: ref.full,
    registry: ref.registry,
    target: { name: ref.name, tagOrDigest, ...(platform ? { platform } : {}) },
  };
}

/** A push names a repository and tag (not an id or a digest); its registry must be allowed. */
export function resolvePush(ref: string, allowlist: RegistryAllowlist): ResolvedTransfer<PushTarget> {
  const lookup = parseImageLookup(ref);
  if (!lookup.reference) throw new DomainError('invalid_reference', 'a push needs a repository name with a tag, not an image id');
  const r = lookup.reference;
  if (r.reference.digest) throw new DomainError('invalid_reference', 'a push needs a tag, not a digest');
  allowlist.check(r.registry);
  const tag = r.reference.tag ?? 'latest';
  return { image: `${r.name}:${tag}`, registry: r.registry, target: { name: r.name, tag } };
}

/** Stored credentials only go to the registry they were stored for. */
export function checkCredentialsMatch(credsServer: string, registry: string): void {
  if (normalizeHost(credsServer) !== normalizeHost(registry)) {
    throw new DomainError('invalid_request', `the stored registry is for "${credsServer}", but the image is on "${registry}"`);
  }
}
