import { isDomainError } from '../errors';
import type { ContainerDetails, ContainerRepository, ContainerSummary } from '../containers/container';
import type { ImageRepository } from '../images/image-repository';
import { formatReference, parseImageLookup, parseReference, type ImageReference } from '../images/reference';
import type { UpdateChecker } from './update-checker';

export type ContainerUpdateStatus = 'up_to_date' | 'outdated' | 'recreate_pending' | 'unknown';

export interface ContainerUpdate {
  status: ContainerUpdateStatus;
  /** When the registry was asked about the container's image (the cached answer's time); null when never. */
  checkedAt: string | null;
  /** The tag the container was created from, normalized; null when it was created from an id or a digest. */
  reference: string | null;
}

/** The tag a container names, when it names one (an id or a digest cannot move). */
function tagOf(image: string): ImageReference | undefined {
  try {
    const lookup = parseImageLookup(image);
    return lookup.reference && !lookup.reference.reference.digest ? lookup.reference.reference : undefined;
  } catch {
    return undefined;
  }
}

const sameRepository = (repoDigest: string, ref: ImageReference, digest: string): boolean => {
  try {
    const r = parseReference(repoDigest);
    return r.registry === ref.registry && r.repository === ref.repository && r.digest === digest;
  } catch {
    return false;
  }
};

/**
 * A container's update status from what is already known — the update cache and the local images — never a
 * registry call. `recreate_pending`: the tag now points at another local image than the one the container runs
 * (it was pulled; the container was not recreated yet).
 */
export class ContainerUpdates {
  constructor(
    private readonly checker: UpdateChecker,
    private readonly images: ImageRepository,
    private readonly containers: ContainerRepository,
  ) {}

  of(c: Pick<ContainerDetails, 'image' | 'imageId'>): Promise<ContainerUpdate> {
    return this.status(c.image, c.imageId);
  }

  /** The list's rows with `update`; a row whose tag moved (the engine then lists the image id) is inspected for its tag. */
  async annotate<T extends ContainerSummary>(rows: T[]): Promise<(T & { update: ContainerUpdate })[]> {
    const memo = new Map<string, Promise<ContainerUpdate>>();
    return Promise.all(
      rows.map(async (row) => {
        let image = row.image;
        if (!tagOf(image))
          image = await this.containers.inspect(row.id).then(
            (d) => d.image,
            () => row.image,
          );
        const key = `${image}|${row.imageId}`;
        let p = memo.get(key);
        if (!p) memo.set(key, (p = this.status(image, row.imageId)));
        return { ...row, update: await p };
      }),
    );
  }

  private async status(image: string, imageId: string): Promise<ContainerUpdate> {
    const ref = tagOf(image);
    if (!ref) return { status: 'unknown', checkedAt: null, reference: null };
    const reference = formatReference(ref);
    const cached = this.checker.cachedRemote(reference);
    const checkedAt = cached?.checkedAt ?? null;
    let tagged;
    try {
      tagged = await this.images.inspect(reference);
    } catch (err) {
      if (isDomainError(err) && err.code === 'image_not_found') return { status: 'unknown', checkedAt, reference };
      throw err;
    }
    if (tagged.id !== imageId) return { status: 'recreate_pending', checkedAt, reference };
    if (!cached?.digest) return { status: 'unknown', checkedAt, reference };
    const current = tagged.repoDigests.some((d) => sameRepository(d, ref, cached.digest as string));
    return { status: current ? 'up_to_date' : 'outdated', checkedAt, reference };
  }
}

export interface ImageUpdate {
  status: 'up_to_date' | 'outdated' | 'unknown';
  /** When the registry was asked about this tag (the cached answer's time); null when never. */
  checkedAt: string | null;
  /** The tag the status is about (the image's first tag that has a cached answer, else its first tag); null when untagged. */
  reference: string | null;
}

/**
 * An image's update status from the update cache only, never a registry call: `outdated` when the registry's digest
 * for one of its tags is not among its repo digests of that repository, `up_to_date` when it is, `unknown` when no
 * answer is cached (a check — one image's `/updates`, or `POST /updates/check` — fills the cache).
 */
export function imageUpdate(checker: Pick<UpdateChecker, 'cachedRemote'>, image: { repoTags: string[]; repoDigests: string[] }): ImageUpdate {
  const tags = image.repoTags.map(tagOf).filter((r): r is ImageReference => r !== undefined);
  for (const ref of tags) {
    const reference = formatReference(ref);
    const cached = checker.cachedRemote(reference);
    if (!cached?.digest) continue;
    const current = image.repoDigests.some((d) => sameRepository(d, ref, cached.digest as string));
    return { status: current ? 'up_to_date' : 'outdated', checkedAt: cached.checkedAt, reference };
  }
  const first = tags[0] && formatReference(tags[0]);
  return { status: 'unknown', checkedAt: (first && checkedAtOf(checker, first)) || null, reference: first ?? null };
}

const checkedAtOf = (checker: Pick<UpdateChecker, 'cachedRemote'>, reference: string): string | null =>
  checker.cachedRemote(reference)?.checkedAt ?? null;
