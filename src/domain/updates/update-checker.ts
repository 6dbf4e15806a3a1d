import { DomainError, isDomainError } from '../errors';
import type { ImageRepository } from '../images/image-repository';
import { formatReference, parseImageLookup, parseReference, type ImageReference } from '../images/reference';
import { normalizeHost, type RegistryAllowlist, type RegistryCredentials, type RegistryStore } from '../registries/registry';
import { checkUuid } from '../ids';
import { ManifestLookupError, type ImageUpdate, type ManifestSource, type RemoteManifest, type UnknownReason } from './image-update';

export interface UpdateCheckerOptions {
  /** A registry answer is reused this long (a pull or tag of the reference forgets it sooner). */
  ttlMs: number;
  /** Budget of one registry lookup, fallback included. */
  lookupTimeoutMs: number;
}

/** One registry lookup, for /metrics: which registry, which way (HEAD or the engine), how it ended. */
export type LookupObserver = (registry: string, via: 'registry' | 'engine', outcome: string) => void;

/** A remembered registry answer: a digest, or why there is none. */
interface RemoteAnswer {
  reference: string;
  remote: (RemoteManifest & { via: 'registry' | 'engine' }) | null;
  reason?: UnknownReason;
  checkedAtMs: number;
}

export interface CheckOptions {
  /** Ask the registry now, not the cache. */
  refresh?: boolean;
  /** A stored login to use; by default the first stored login for the image's registry. */
  registryId?: string;
}

/** `127.0.0.1:5000/team/app@sha256:…` → its digest, when it names `ref`'s repository. */
function digestOfRepository(repoDigest: string, ref: ImageReference): string | undefined {
  try {
    const r = parseReference(repoDigest);
    return normalizeHost(r.registry) === normalizeHost(ref.registry) && r.repository === ref.repository ? r.digest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Image update detection: the local image's RepoDigests (what a pull by tag recorded: the index digest for a
 * multi-arch tag) against the digest the registry gives for the same tag with every manifest type accepted — the
 * same kind of manifest, so a multi-arch image is not "outdated" because of what was asked for. Registry answers
 * are cached per reference; one lookup per reference at a time.
 */
export class UpdateChecker {
  private readonly answers = new Map<string, RemoteAnswer>();
  private readonly inFlight = new Map<string, Promise<RemoteAnswer>>();
  private readonly listeners = new Set<(u: ImageUpdate) => void>();
  private watching = false;
  /** The registry digest last announced as an update per reference: each new one is announced once. */
  private readonly announced = new Map<string, string>();

  constructor(
    private readonly deps: {
      images: ImageRepository;
      registry: ManifestSource;
      engine: ManifestSource;
      allowlist: RegistryAllowlist;
      store: RegistryStore;
      now: () => number;
      observe?: LookupObserver;
      /** Starts calling `forget` with each image name pulled or tagged; called once, before the first registry answer is cached. */
      watch?: (forget: (name: string) => void) => void;
    },
    private readonly opts: UpdateCheckerOptions,
  ) {}

  /** Called once per new registry digest found for a reference whose local image is older. */
  onOutdated(listener: (u: ImageUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The status of one image reference. Throws invalid_reference, registry_not_allowed, image_not_found. */
  async check(input: string, opts: CheckOptions = {}): Promise<ImageUpdate> {
    const lookup = parseImageLookup(input);
    if (!lookup.reference) return notApplicable(input, 'image_id');
    const ref = lookup.reference.reference;
    const reference = formatReference(ref);
    if (ref.digest) return notApplicable(reference, 'digest_reference');
    // The SSRF guard comes before any engine or network call.
    this.deps.allowlist.check(ref.registry);
    const image = await this.deps.images.inspect(lookup.engineName);
    const localDigests = image.repoDigests.filter((d) => digestOfRepository(d, ref) !== undefined);
    if (localDigests.length === 0) {
      return { reference, status: 'unknown', reason: 'no_repo_digest', localDigests, remote: null, checkedAt: null, imageId: image.id };
    }
    const creds = await this.credentials(ref.registry, opts.registryId);
    // Only once something is about to be cached is there anything for a pull or tag to make stale.
    this.startWatching();
    const answer = await this.remote(reference, ref, creds, opts.refresh === true);
    const update = compare(answer, localDigests, ref, image.id);
    const digest = update.remote?.digest;
    if (update.status === 'outdated' && digest && this.announced.get(reference) !== digest) {
      this.announced.set(reference, digest);
      for (const l of [...this.listeners]) l(update);
    }
    return update;
  }

  /** The cached registry answer for a reference, without asking anyone; undefined when none is held. */
  cachedRemote(reference: string): { digest: string | null; reason?: UnknownReason; checkedAt: string } | undefined {
    const a = this.fresh(reference);
    return a && { digest: a.remote?.digest ?? null, ...(a.reason ? { reason: a.reason } : {}), checkedAt: iso(a.checkedAtMs) };
  }

  /** Forgets what the registry said about `name` (a pull or tag of it was seen). */
  evict(name: string): void {
    try {
      this.answers.delete(formatReference(parseReference(name)));
    } catch {
      // not a reference (an image id): nothing is cached under it
    }
  }

  private startWatching(): void {
    if (this.watching || !this.deps.watch) return;
    this.watching = true;
    this.deps.watch((name) => this.evict(name));
  }

  private fresh(reference: string): RemoteAnswer | undefined {
    const a = this.answers.get(reference);
    if (a && this.deps.now() - a.checkedAtMs < this.opts.ttlMs) return a;
    if (a) this.answers.delete(reference);
    return undefined;
  }

  private remote(reference: string, ref: ImageReference, creds: RegistryCredentials | undefined, refresh: boolean): Promise<RemoteAnswer> {
    const running = this.inFlight.get(reference);
    if (running) return running;
    if (!refresh) {
      const cached = this.fresh(reference);
      if (cached) return Promise.resolve(cached);
    }
    const p = this.ask(reference, ref, creds).finally(() => this.inFlight.delete(reference));
    this.inFlight.set(reference, p);
    return p;
  }

  private async ask(reference: string, ref: ImageReference, creds: RegistryCredentials | undefined): Promise<RemoteAnswer> {
    const target = { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' };
    const signal = AbortSignal.timeout(this.opts.lookupTimeoutMs);
    let answer: RemoteAnswer;
    try {
      answer = {
        reference,
        remote: { ...(await this.deps.registry.digestOf(target, creds, signal)), via: 'registry' },
        checkedAtMs: this.deps.now(),
      };
      this.deps.observe?.(ref.registry, 'registry', 'ok');
    } catch (err) {
      if (!(err instanceof ManifestLookupError)) throw err;
      this.deps.observe?.(ref.registry, 'registry', err.reason);
      if (err.reason !== 'unsupported') {
        answer = { reference, remote: null, reason: err.reason, checkedAtMs: this.deps.now() };
      } else {
        answer = await this.askEngine(reference, ref, target, creds, signal);
      }
    }
    this.answers.set(reference, answer);
    return answer;
  }

  private async askEngine(
    reference: string,
    ref: ImageReference,
    target: { registry: string; repository: string; tag: string },
    creds: RegistryCredentials | undefined,
    signal: AbortSignal,
  ): Promise<RemoteAnswer> {
    try {
      const remote = await this.deps.engine.digestOf(target, creds, signal);
      this.deps.observe?.(ref.registry, 'engine', 'ok');
      return { reference, remote: { ...remote, via: 'engine' }, checkedAtMs: this.deps.now() };
    } catch (err) {
      if (!(err instanceof ManifestLookupError)) throw err;
      this.deps.observe?.(ref.registry, 'engine', err.reason);
      const reason = err.reason === 'unsupported' ? 'registry_unreachable' : err.reason;
      return { reference, remote: null, reason, checkedAtMs: this.deps.now() };
    }
  }

  private async credentials(registry: string, registryId: string | undefined): Promise<RegistryCredentials | undefined> {
    if (registryId !== undefined) {
      const creds = await this.deps.store.credentials(checkUuid(registryId, 'registry'));
      if (!creds) throw new DomainError('registry_not_found', `no stored registry ${registryId}`);
      if (normalizeHost(creds.serverAddress) !== normalizeHost(registry)) {
        throw new DomainError('invalid_request', `the stored registry is for "${creds.serverAddress}", but the image is on "${registry}"`);
      }
      return creds;
    }
    try {
      const stored = (await this.deps.store.list()).find((r) => normalizeHost(r.serverAddress) === normalizeHost(registry));
      return stored ? await this.deps.store.credentials(stored.id) : undefined;
    } catch (err) {
      if (isDomainError(err)) throw err;
      throw new DomainError('internal_error', 'the stored registry logins could not be read');
    }
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

function notApplicable(reference: string, reason: 'digest_reference' | 'image_id'): ImageUpdate {
  return { reference, status: 'not_applicable', reason, localDigests: [], remote: null, checkedAt: null, imageId: null };
}

function compare(answer: RemoteAnswer, localDigests: string[], ref: ImageReference, imageId: string): ImageUpdate {
  const base = { reference: answer.reference, localDigests, remote: answer.remote, checkedAt: iso(answer.checkedAtMs), imageId };
  if (!answer.remote) return { ...base, status: 'unknown', reason: answer.reason ?? 'registry_unreachable' };
  const known = localDigests.some((d) => digestOfRepository(d, ref) === answer.remote?.digest);
  return { ...base, status: known ? 'up_to_date' : 'outdated' };
}
