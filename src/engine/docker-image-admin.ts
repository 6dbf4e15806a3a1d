import type Docker from 'dockerode';
import type { ContainerUse, EngineDiskUsage, ImageAdminEngine, ImageNode, PruneFilter, RemovalRecords } from '../domain/images/image-admin-engine';
import type { DiskUsageCache } from './disk-usage-cache';
import { slowTimeoutMs } from './docker-disk-usage';
import { engineCall } from './engine-errors';

const orEmpty = <T>(v: T[] | null | undefined): T[] => v ?? [];
const realTags = (t: string[] | null | undefined): string[] => orEmpty(t).filter((x) => x !== '<none>:<none>');
const realDigests = (d: string[] | null | undefined): string[] => orEmpty(d).filter((x) => x !== '<none>@<none>');
const nameOf = (names: string[] | null | undefined): string => (orEmpty(names)[0] ?? '').replace(/^\//, '');
const nonNegative = (n: number | null | undefined): number => Math.max(0, n ?? 0);

function records(items: Docker.ImageRemoveInfo[] | null | undefined): RemovalRecords {
  const out: RemovalRecords = { untagged: [], deleted: [] };
  for (const r of orEmpty(items)) {
    if (r.Untagged) out.untagged.push(r.Untagged);
    if (r.Deleted) out.deleted.push(r.Deleted);
  }
  return out;
}

/**
 * Removal, prune and disk usage on the engine. Removing layers can take far longer than an ordinary call, so it
 * goes through the client without a socket timeout and gets a longer bound of its own; when that bound fires the
 * engine still finishes the work. `/system/df` is never called from here: it goes through the service's one gate.
 */
export class DockerImageAdmin implements ImageAdminEngine {
  private readonly slowTimeoutMs: number;

  constructor(
    private readonly api: Docker,
    private readonly slow: Docker,
    private readonly timeoutMs: number,
    private readonly df: DiskUsageCache<EngineDiskUsage>,
  ) {
    this.slowTimeoutMs = slowTimeoutMs(timeoutMs);
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

  /** Through the service's one df gate: a preview or report joins a df in flight instead of being refused. */
  diskUsage(): Promise<EngineDiskUsage> {
    return engineCall(() => this.df.load(), { timeoutMs: this.slowTimeoutMs });
  }

  async remove(name: string, opts: { force: boolean; noprune: boolean }): Promise<RemovalRecords> {
    const out = await engineCall(
      () => this.slow.getImage(name).remove({ force: opts.force, noprune: opts.noprune }) as Promise<Docker.ImageRemoveInfo[]>,
      {
        notFound: 'image_not_found',
        conflict: 'image_in_use',
        timeoutMs: this.slowTimeoutMs,
      },
    );
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
