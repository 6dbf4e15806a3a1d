/**
 * "Is a newer image behind this tag?" in our own words. The registry and the engine adapters answer the remote
 * side (src/engine/registry-manifest-client.ts, src/engine/docker-distribution.ts); the checker compares.
 */
export type ImageUpdateStatus = 'up_to_date' | 'outdated' | 'unknown' | 'not_applicable';
export type UnknownReason = 'no_repo_digest' | 'registry_unreachable' | 'unauthorized' | 'not_found' | 'rate_limited';

/** The digest of what the tag points at in the registry: an index for a multi-arch tag, else a platform manifest. */
export interface RemoteManifest {
  digest: string;
  mediaType: string;
}

export interface ImageUpdate {
  /** The normalized reference that was checked. */
  reference: string;
  status: ImageUpdateStatus;
  /** `repo@sha256:…` digests the engine recorded for the local image, of this reference's repository only. */
  localDigests: string[];
  /** What the registry answered; null when it was not asked or could not answer. */
  remote: (RemoteManifest & { via: 'registry' | 'engine' }) | null;
  /** When the registry was asked (the cached answer's time); null when it was not asked. */
  checkedAt: string | null;
  reason?: UnknownReason | 'digest_reference' | 'image_id';
  /** The local image the tag points at now. */
  imageId: string | null;
}

/** A registry lookup that did not give a digest, and why. `unsupported`: ask another way (the engine). */
export class ManifestLookupError extends Error {
  constructor(
    readonly reason: UnknownReason | 'unsupported',
    message: string,
  ) {
    super(message);
    this.name = 'ManifestLookupError';
  }
}

export interface ManifestTarget {
  /** host[:port], allowlisted. */
  registry: string;
  repository: string;
  tag: string;
}

export interface ManifestCredentials {
  username: string;
  password?: string;
  identityToken?: string;
  serverAddress: string;
}

/** Asks for the digest of a tag's manifest; throws ManifestLookupError. */
export interface ManifestSource {
  digestOf(target: ManifestTarget, creds: ManifestCredentials | undefined, signal: AbortSignal): Promise<RemoteManifest>;
}
