import { DomainError } from '../errors';
import { formatReference, familiarName, parseImageLookup, parseReference } from '../images/reference';
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
  const ref = parseReference(image);
  allowlist.check(ref.registry);
  if (platform !== undefined && !PLATFORM.test(platform)) {
    throw new DomainError('invalid_request', `platform "${platform.slice(0, 64)}" must be os/arch[/variant], e.g. linux/amd64`);
  }
  const tagOrDigest = ref.digest ?? ref.tag ?? 'latest';
  return {
    image: formatReference(ref),
    registry: ref.registry,
    target: { name: familiarName(ref), tagOrDigest, ...(platform ? { platform } : {}) },
  };
}

/** A push names a repository and tag (not an id or a digest); its registry must be allowed. */
export function resolvePush(ref: string, allowlist: RegistryAllowlist): ResolvedTransfer<PushTarget> {
  const lookup = parseImageLookup(ref);
  if (!lookup.reference) throw new DomainError('invalid_reference', 'a push needs a repository name with a tag, not an image id');
  if (lookup.reference.digest) throw new DomainError('invalid_reference', 'a push needs a tag, not a digest');
  const r = lookup.reference;
  allowlist.check(r.registry);
  const tag = r.tag ?? 'latest';
  return { image: formatReference({ ...r, tag }), registry: r.registry, target: { name: familiarName(r), tag } };
}

/** Stored credentials only go to the registry they were stored for. */
export function checkCredentialsMatch(credsServer: string, registry: string): void {
  if (normalizeHost(credsServer) !== normalizeHost(registry)) {
    throw new DomainError('invalid_request', `the stored registry is for "${credsServer}", but the image is on "${registry}"`);
  }
}
