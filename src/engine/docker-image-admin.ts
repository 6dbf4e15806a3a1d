import type Docker from 'dockerode';
import type {
  ContainerUse,
  EngineDiskUsage,
  ImageAdminEngine,
  ImageNode,
  PruneFilter,
  RemovalRecords,
} from '../domain/images/image-admin-engine';
import { engineCall } from './engine-errors';

const orEmpty = <T>(v: T[] | null | undefined): T[] => v ?? [];
const realTags = (t: string[] | null | undefined): string[] => orEmpty(t).filter((x) => x !== '<none>:<none>');
const realDigests = (d: string[] | null | undefined): string[] => orEmpty(d).filter((x) => x !== '<none>@<none>');
const nameOf = (names: string[] | null | undefined): string => (orEmpty(names)[0] ?? '').replace(/^\//, '');
const nonNegative = (n: number | null | undefined): number => Math.max(0, n ?? 0);

/** The parts of `/system/df` (API 1.41) we read. */
interface Df {
  LayersSize?: number;
  Images?: { Id: string; RepoTags: string[] | null; Created: number; Size: number; SharedSize: number; Containers: number }[] | null;
  Containers?: { Id: string; Names: string[] | null; Image: string; ImageID: string; State: string; SizeRw?: number; SizeRootFs?: number }[] | null;
  Volumes?: { Name: string; UsageData?: { Size: number; RefCount: number } | null }[] | null;
}

function records(items: Docker.ImageRemoveInfo[] | null | undefined): RemovalRecords {
  const out: RemovalRecords = { untagged: [], deleted: [] };
  for (const r of orEmpty(items)) {
    if (r.Untagged) out.untagged.push(r.Untagged);
    if (r.Deleted) out.deleted.push(r.Deleted);
  }
  return out;
}

/**
 * Removal, prune and disk usage on the engine. Removing layers and walking every layer for /system/df can take
 * far longer than an ordinary call, so they go through the client without a socket timeout and get a longer
 * bound of their own; when that bound fires the engine still finishes the work.
 */
export class DockerImageAdmin implements ImageAdminEngine {
  private readonly slowTimeoutMs: number;

  constructor(
    private readonly api: Docker,
    private readonly slow: Docker,
    private readonly timeoutMs: number,
  ) {
    this.slowTimeoutMs = Math.max(60000, 6 * timeoutMs);
  }

  async resolve(name: string): Promise<ImageNode> {
    const i = await engineCall(() => this.api.getImage(name).inspect(), { notFound: 'image_not_found', timeoutMs: this.timeoutMs });
    return {
      id: i.Id,
      parentId: i.Parent ? i.Parent : null,
      repoTags: realTags(i.RepoTags),
      repoDigests: realDigests(i.RepoDigests),
      created: Math.floor(new Date(i.Created).getTime() / 1000),
      size: i.Size,
      labels: i.Config?.Labels ?? {},
    };
  }

  async images(): Promise<ImageNode[]> {
    const list = await engineCall(() => this.api.listImages({ all: true }), { timeoutMs: this.timeoutMs });
    return list.map((i) => ({
      id: i.Id,
      parentId: i.ParentId ? i.ParentId : null,
      repoTags: realTags(i.RepoTags),
      repoDigests: realDigests(i.RepoDigests),
      created: i.Created,
      size: i.Size,
      labels: i.Labels ?? {},
    }));
  }

  async containers(): Promise<ContainerUse[]> {
    const list = await engineCall(() => this.api.listContainers({ all: true }), { timeoutMs: this.timeoutMs });
    return list.map((c) => ({ id: c.Id, name: nameOf(c.Names), state: c.State, imageId: c.ImageID }));
  }

  async diskUsage(): Promise<EngineDiskUsage> {
    const df = (await engineCall(() => this.slow.df() as Promise<Df>, { timeoutMs: this.slowTimeoutMs })) ?? {};
    return {
      layersSize: nonNegative(df.LayersSize),
      images: orEmpty(df.Images).map((i) => {
        const shared = nonNegative(i.SharedSize);
        return {
          id: i.Id,
          repoTags: realTags(i.RepoTags),
          created: i.Created,
          size: nonNegative(i.Size),
          sharedSize: shared,
          uniqueSize: Math.max(0, nonNegative(i.Size) - shared),
          containers: nonNegative(i.Containers),
        };
      }),
      containers: orEmpty(df.Containers).map((c) => ({
        id: c.Id,
        name: nameOf(c.Names),
        imageId: c.ImageID,
        image: c.Image,
        state: c.State,
        sizeRw: nonNegative(c.SizeRw),
        sizeRootFs: nonNegative(c.SizeRootFs),
      })),
      volumes: orEmpty(df.Volumes).map((v) => ({ name: v.Name, size: v.UsageData?.Size ?? -1, refCount: v.UsageData?.RefCount ?? -1 })),
    };
  }

  async remove(name: string, opts: { force: boolean; noprune: boolean }): Promise<RemovalRecords> {
    const out = await engineCall(() => this.slow.getImage(name).remove({ force: opts.force, noprune: opts.noprune }) as Promise<Docker.ImageRemoveInfo[]>, {
      notFound: 'image_not_found',
      conflict: 'image_in_use',
      timeoutMs: this.slowTimeoutMs,
    });
    return records(out);
  }

  async prune(filter: PruneFilter): Promise<RemovalRecords & { spaceReclaimed: number }> {
    const filters: Record<string, string[]> = { dangling: [String(filter.danglingOnly)] };
    if (filter.until !== undefined) filters.until = [String(filter.until)];
    if (filter.labels.length > 0) filters.label = filter.labels;
    const r = await engineCall(() => this.slow.pruneImages({ filters: JSON.stringify(filters) }), { timeoutMs: this.slowTimeoutMs });
    return { ...records(r.ImagesDeleted), spaceReclaimed: nonNegative(r.SpaceReclaimed) };
  }
}
