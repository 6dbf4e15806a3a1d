import { DomainError, isDomainError } from '../errors';
import type { ContainerUse, ImageAdminEngine, ImageNode, ImageUsage } from './image-admin-engine';
import { ImageGraph, type DeleteConflict, type GraphImage } from './image-graph';
import { parseImageLookup } from './reference';

export interface BlockingContainer {
  id: string;
  name: string;
  state: string;
}

export interface ImageRemoval {
  dryRun: false;
  imageId: string;
  untagged: string[];
  /** Image ids deleted. */
  deleted: string[];
  /** Layer chain ids the engine removed with them. */
  deletedLayers: string[];
}

export interface ImageRemovalPreview {
  dryRun: true;
  imageId: string;
  untagged: string[];
  deleted: string[];
  bytesFreed: number;
  blocked: boolean;
  blockedReason?: 'image_in_use' | 'conflict';
  blockingContainers: BlockingContainer[];
  childImages: string[];
}

export interface RemoveOptions {
  force: boolean;
  noprune: boolean;
  dryRun: boolean;
}

export const toGraphImage = (n: ImageNode): GraphImage => ({ id: n.id, parentId: n.parentId, refs: [...n.repoTags, ...n.repoDigests] });

const blocking = (c: ContainerUse): BlockingContainer => ({ id: c.id, name: c.name, state: c.state });

/** The engine's isImageIDPrefix: was the image named by (a prefix of) its id rather than by a reference? */
export function namesImageById(imageId: string, name: string): boolean {
  return imageId.startsWith(`sha256:${name}`) || imageId.startsWith(name);
}

/**
 * What removing an image frees: its unique bytes, unless a container still holds its layers (then nothing) or
 * its parent stays (then only what lies above the parent).
 */
export function bytesFreedByRemoval(
  target: ImageNode,
  deleted: string[],
  graph: ImageGraph,
  usage: ImageUsage | undefined,
  parent: ImageNode | undefined,
): number {
  if (!deleted.includes(target.id)) return 0;
  if (graph.containersOf(target.id).length > 0) return 0;
  const unique = usage ? usage.uniqueSize : target.size;
  if (parent && !deleted.includes(parent.id)) return Math.max(0, Math.min(unique, target.size - parent.size));
  return Math.max(0, unique);
}

/** `docker rmi`, with a dry run answered by replaying the engine's rules on a copy of its state. */
export class ImageRemovalService {
  constructor(private readonly engine: ImageAdminEngine) {}

  async remove(ref: string, opts: RemoveOptions): Promise<ImageRemoval | ImageRemovalPreview> {
    const { engineName } = parseImageLookup(ref);
    const target = await this.engine.resolve(engineName);
    const named = namesImageById(target.id, engineName) ? undefined : engineName;
    if (opts.dryRun) return this.preview(target, named, opts);

    const known = new Set((await this.engine.images()).map((i) => i.id));
    try {
      const records = await this.engine.remove(engineName, { force: opts.force, noprune: opts.noprune });
      return {
        dryRun: false,
        imageId: target.id,
        untagged: records.untagged,
        deleted: records.deleted.filter((d) => known.has(d)),
        deletedLayers: records.deleted.filter((d) => !known.has(d)),
      };
    } catch (err) {
      if (isDomainError(err) && err.code === 'image_in_use') throw await this.explainConflict(target, named, opts, err);
      throw err;
    }
  }

  private async preview(target: ImageNode, named: string | undefined, opts: RemoveOptions): Promise<ImageRemovalPreview> {
    const [nodes, containers, usage] = await Promise.all([this.engine.images(), this.engine.containers(), this.engine.diskUsage()]);
    const graph = new ImageGraph(nodes.map(toGraphImage), containers);
    const outcome = graph.imageDelete(target.id, named, opts.force, !opts.noprune);
    const base = { dryRun: true as const, imageId: target.id };
    if (outcome.conflict) {
      return {
        ...base,
        untagged: [],
        deleted: [],
        bytesFreed: 0,
        blocked: true,
        blockedReason: outcome.conflict.code,
        blockingContainers: outcome.conflict.containers.map(blocking),
        childImages: outcome.conflict.childImages,
      };
    }
    const parent = target.parentId ? nodes.find((n) => n.id === target.parentId) : undefined;
    const own = usage.images.find((u) => u.id === target.id);
    return {
      ...base,
      untagged: outcome.untagged,
      deleted: outcome.deleted,
      bytesFreed: bytesFreedByRemoval(target, outcome.deleted, graph, own, parent),
      blocked: false,
      blockingContainers: [],
      childImages: [],
    };
  }

  /** The engine says 409 only in words; the containers and child images that block come from its state. */
  private async explainConflict(target: ImageNode, named: string | undefined, opts: RemoveOptions, err: DomainError): Promise<DomainError> {
    const [nodes, containers] = await Promise.all([this.engine.images(), this.engine.containers()]);
    const graph = new ImageGraph(nodes.map(toGraphImage), containers);
    const replayed: DeleteConflict | undefined = graph.imageDelete(target.id, named, opts.force, !opts.noprune).conflict;
    const users = graph.containersOf(target.id);
    const children = graph.childrenOf(target.id);
    const blockers = replayed ?? {
      // The state changed between the engine's answer and our look: report what uses the image now.
      code: users.length > 0 || children.length > 0 ? ('image_in_use' as const) : ('conflict' as const),
      containers: users,
      childImages: children,
      message: err.message,
    };
    return new DomainError(blockers.code, `cannot remove ${named ?? target.id}: ${err.message}`, {
      imageId: target.id,
      containers: blockers.containers.map(blocking),
      childImages: blockers.childImages,
    });
  }
}
