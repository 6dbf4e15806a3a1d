import type Docker from 'dockerode';
import type { ImageDetails, ImageHistoryEntry, ImageListFilter, ImageRepository, ImageSummary } from '../domain/images/image-repository';
import type { EngineDiskUsage, ImageUsage } from '../domain/images/image-admin-engine';
import type { DiskUsageCache } from './disk-usage-cache';
import { engineCall } from './engine-errors';
import type { ReadCache } from './read-cache';
import type { ReadOptions } from '../domain/read-options';

const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();
const orEmpty = <T>(v: T[] | null | undefined): T[] => v ?? [];
/** The engine marks an untagged image with `<none>:<none>`; we say so with an empty list. */
const realTags = (tags: string[] | null | undefined): string[] => orEmpty(tags).filter((t) => t !== '<none>:<none>');
const realDigests = (d: string[] | null | undefined): string[] => orEmpty(d).filter((t) => t !== '<none>@<none>');

/** Image answers kept until an image changes or a container is created or removed (its `containers` count). */
export interface ImageReadCaches {
  list: ReadCache<ImageSummary[]>;
  inspect: ReadCache<ImageDetails>;
}

/** Each df result indexed by image id once, however many lists read it. */
const indexes = new WeakMap<EngineDiskUsage, Map<string, ImageUsage>>();
function byImage(usage: EngineDiskUsage): Map<string, ImageUsage> {
  let index = indexes.get(usage);
  if (!index) indexes.set(usage, (index = new Map(usage.images.map((i) => [i.id, i]))));
  return index;
}

function summary(img: Docker.ImageInfo, usage: ImageUsage | undefined, containers: number): ImageSummary {
  const shared = Math.max(0, usage?.sharedSize ?? 0);
  return {
    id: img.Id,
    repoTags: realTags(img.RepoTags),
    repoDigests: realDigests(img.RepoDigests),
    created: iso(img.Created),
    size: img.Size,
    sharedSize: shared,
    uniqueSize: Math.max(0, img.Size - shared),
    containers,
    inUse: containers > 0,
    labels: img.Labels ?? {},
  };
}

export class DockerImageRepository implements ImageRepository {
  /** @param diskUsage the service's one /system/df gate, whose result is reused until images or containers change. */
  constructor(
    private readonly docker: Docker,
    private readonly timeoutMs: number,
    private readonly diskUsage: DiskUsageCache<EngineDiskUsage>,
    private readonly caches?: ImageReadCaches,
  ) {}

  list(filter: ImageListFilter, read: ReadOptions = {}): Promise<ImageSummary[]> {
    if (!this.caches) return this.listNow(filter, read, () => undefined);
    const key = JSON.stringify([filter.reference ?? [], filter.label ?? [], filter.dangling ?? null]);
    return this.caches.list.get(key, (dontKeep) => this.listNow(filter, read, dontKeep), read);
  }

  inspect(name: string, read: ReadOptions = {}): Promise<ImageDetails> {
    if (!this.caches) return this.inspectNow(name);
    return this.caches.inspect.get(name, () => this.inspectNow(name), read);
  }

  /** A `fresh` read takes a new df too: the held one may predate a container another client just created. */
  private async listNow(filter: ImageListFilter, read: ReadOptions, dontKeep: () => void): Promise<ImageSummary[]> {
    const filters: Record<string, string[]> = {};
    if (filter.reference?.length) filters.reference = filter.reference;
    if (filter.label?.length) filters.label = filter.label;
    if (filter.dangling !== undefined) filters.dangling = [String(filter.dangling)];
    // /images/json reports SharedSize and Containers as -1 on this API version; /system/df computes both.
    const listed = () => engineCall(() => this.docker.listImages({ all: false, filters: JSON.stringify(filters) }), { timeoutMs: this.timeoutMs });
    const cached = read.fresh ? undefined : this.diskUsage.peek();
    const known = cached && byImage(cached);
    const [images, usage] = known ? [await listed(), known] : await Promise.all([listed(), this.newUsage()]);
    // An image the cached df has not seen (its event not read yet): this answer needs a new df.
    const current = known && images.some((img) => !known.has(img.Id)) ? await this.newUsage() : usage;
    if (current instanceof Map) return images.map((img) => summary(img, current.get(img.Id), current.get(img.Id)?.containers ?? 0));
    dontKeep();
    const counts = await this.containerCounts(current.waited);
    return images.map((img) => ({ ...summary(img, current.last?.get(img.Id), counts.get(img.Id) ?? 0), sizesStale: true }));
  }

  /**
   * A new df, waited for at most half this engine's bound: the engine runs one df at a time and refuses others
   * meanwhile, so a client that runs them back to back (`docker system df` in a loop, another service) can hold it
   * for longer than any list should wait. Then the list answers without one (`waited` says how long it took).
   */
  private async newUsage(): Promise<Map<string, ImageUsage> | { last?: Map<string, ImageUsage>; waited: number }> {
    const bound = Math.floor(this.timeoutMs / 2);
    const started = Date.now();
    try {
      // The shared df may outlive this bound: the list gives up on time, the df goes on for whoever waits.
      return byImage(await engineCall(() => this.diskUsage.load(), { timeoutMs: bound }));
    } catch {
      const last = this.diskUsage.last();
      return { ...(last ? { last: byImage(last.usage) } : {}), waited: Date.now() - started };
    }
  }

  /** Containers per image id, from the container list (a df counts them the same way: by the image id they use). */
  private async containerCounts(waitedMs: number): Promise<Map<string, number>> {
    const timeoutMs = Math.max(1, this.timeoutMs - waitedMs);
    const rows = await engineCall(() => this.docker.listContainers({ all: true }), { timeoutMs });
    const counts = new Map<string, number>();
    for (const c of rows) counts.set(c.ImageID, (counts.get(c.ImageID) ?? 0) + 1);
    return counts;
  }

  private async inspectNow(name: string): Promise<ImageDetails> {
    const i = await engineCall(() => this.docker.getImage(name).inspect(), { notFound: 'image_not_found', timeoutMs: this.timeoutMs });
    const c = i.Config ?? ({} as Docker.ImageInspectInfo['Config']);
    return {
      id: i.Id,
      repoTags: realTags(i.RepoTags),
      repoDigests: realDigests(i.RepoDigests),
      created: new Date(i.Created).toISOString(),
      architecture: i.Architecture,
      os: i.Os,
      ...(i.Variant ? { variant: i.Variant } : {}),
      author: i.Author ?? '',
      user: c.User ?? '',
      entrypoint: (c.Entrypoint as string[] | null | undefined) ?? null,
      cmd: c.Cmd ?? null,
      env: orEmpty(c.Env),
      exposedPorts: Object.keys(c.ExposedPorts ?? {}),
      workingDir: c.WorkingDir ?? '',
      labels: c.Labels ?? {},
      layers: orEmpty(i.RootFS?.Layers),
      size: i.Size,
    };
  }

  async history(name: string): Promise<ImageHistoryEntry[]> {
    const rows = (await engineCall(() => this.docker.getImage(name).history(), {
      notFound: 'image_not_found',
      timeoutMs: this.timeoutMs,
    })) as { Id: string; Created: number; CreatedBy: string; Size: number; Tags: string[] | null; Comment: string }[];
    return rows.map((r) => ({
      id: r.Id === '<missing>' ? null : r.Id,
      created: iso(r.Created),
      createdBy: r.CreatedBy,
      size: r.Size,
      tags: orEmpty(r.Tags),
      comment: r.Comment ?? '',
      emptyLayer: r.Size === 0 && /#\(nop\)/.test(r.CreatedBy),
    }));
  }
}
