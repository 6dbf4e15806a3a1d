/**
 * An in-memory copy of the engine's images and the containers using them, on which the engine's own removal
 * rules (moby daemon/images/image_delete.go, Engine 20.10) can be replayed without touching anything. Dry runs
 * of `rmi` and `image prune` are answered from it, and a real removal's 409 is explained by it.
 */

export interface GraphImage {
  id: string;
  /** The local parent (images built here); null for pulled images. */
  parentId: string | null;
  /** Tag and digest references in familiar form: `team/app:1.0`, `team/app@sha256:…`. */
  refs: string[];
}

export interface GraphContainer {
  id: string;
  name: string;
  /** The engine's state word: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  imageId: string;
}

export interface DeleteConflict {
  /** image_in_use when containers or child images block; conflict when only `force` would do. */
  code: 'image_in_use' | 'conflict';
  imageId: string;
  containers: GraphContainer[];
  childImages: string[];
  message: string;
}

export interface DeleteOutcome {
  untagged: string[];
  deleted: string[];
  conflict?: DeleteConflict;
}

/** The engine's IsRunning() is true for paused and restarting containers too. */
const RUNNING_STATES = new Set(['running', 'paused', 'restarting']);

const isCanonical = (ref: string): boolean => ref.includes('@');

/** `team/app:1.0` → `team/app`; `reg:5000/app@sha256:…` → `reg:5000/app`. */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/** The engine's isSingleReference: at most one tag, and every reference within that one repository. */
function isSingleReference(refs: string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: string | undefined;
  const canonicalRepos = new Set<string>();
  for (const r of refs) {
    if (isCanonical(r)) canonicalRepos.add(repositoryOf(r));
    else if (single === undefined) single = r;
    else return false;
  }
  return canonicalRepos.size === 1 && canonicalRepos.has(repositoryOf(single ?? refs[0]));
}

interface ConflictMask {
  hard: boolean;
  activeReference: boolean;
  stoppedContainer: boolean;
}

export class ImageGraph {
  private readonly images = new Map<string, GraphImage>();

  constructor(
    images: GraphImage[],
    private readonly containers: GraphContainer[],
  ) {
    for (const i of images) this.images.set(i.id, { ...i, refs: [...i.refs] });
  }

  has(id: string): boolean {
    return this.images.has(id);
  }

  refsOf(id: string): string[] {
    return [...(this.images.get(id)?.refs ?? [])];
  }

  childrenOf(id: string): string[] {
    return [...this.images.values()].filter((i) => i.parentId === id).map((i) => i.id);
  }

  containersOf(id: string): GraphContainer[] {
    return this.containers.filter((c) => c.imageId === id);
  }

  /**
   * The engine's ImageDelete: `ref` is the familiar reference the caller named, or undefined when it named the
   * image by id. Mutates this copy as the engine would mutate its stores.
   */
  imageDelete(id: string, ref: string | undefined, force: boolean, prune: boolean): DeleteOutcome {
    const out: DeleteOutcome = { untagged: [], deleted: [] };
    const img = this.images.get(id);
    if (!img) return out;
    let quiet = false;
    if (ref !== undefined) {
      // The engine resolves the reference first: one already gone is "No such image", which prune skips.
      if (!img.refs.includes(ref)) return out;
      const users = this.containersOf(id);
      // A tag and the digests of its own repository are one reference to the engine (a pulled image has both):
      // untagging it would leave a used image dangling, so any container blocks it.
      if (!force && users.length > 0 && isSingleReference(img.refs)) {
        out.conflict = {
          code: 'image_in_use',
          imageId: id,
          containers: users,
          childImages: [],
          message: `unable to remove reference "${ref}" (must force): containers use its image`,
        };
        return out;
      }
      this.untag(img, ref, out);
      if (!isCanonical(ref)) {
        // The last tag of a repository takes that repository's digest references with it.
        const repo = repositoryOf(ref);
        if (!img.refs.some((r) => !isCanonical(r) && repositoryOf(r) === repo)) {
          for (const r of img.refs.filter((x) => isCanonical(x) && repositoryOf(x) === repo)) this.untag(img, r, out);
        }
      }
      if (img.refs.length > 0) return out;
      quiet = true;
    } else if (isSingleReference(img.refs)) {
      const conflict = this.conflict(img, { hard: true, activeReference: false, stoppedContainer: !force });
      if (conflict) return { ...out, conflict: conflict.conflict };
      for (const r of [...img.refs]) this.untag(img, r, out);
    }
    const conflict = this.deleteHelper(img.id, out, force, prune, quiet);
    if (conflict) out.conflict = conflict;
    return out;
  }

  private untag(img: GraphImage, ref: string, out: DeleteOutcome): void {
    img.refs = img.refs.filter((r) => r !== ref);
    out.untagged.push(ref);
  }

  private deleteHelper(id: string, out: DeleteOutcome, force: boolean, prune: boolean, quiet: boolean): DeleteConflict | undefined {
    const img = this.images.get(id);
    if (!img) return undefined;
    const found = this.conflict(img, { hard: true, activeReference: !force, stoppedContainer: !force });
    if (found) {
      // A quiet (pruning) pass stops silently unless the image would be left dangling and unused.
      if (quiet && (!this.isDangling(img) || found.used)) return undefined;
      return found.conflict;
    }
    for (const r of [...img.refs]) this.untag(img, r, out);
    this.images.delete(id);
    out.deleted.push(id);
    if (!prune || img.parentId === null || !this.images.has(img.parentId)) return undefined;
    return this.deleteHelper(img.parentId, out, false, true, true);
  }

  private isDangling(img: GraphImage): boolean {
    return img.refs.length === 0 && this.childrenOf(img.id).length === 0;
  }

  /** The first conflict in the engine's order, listing every container that blocks under this mask. */
  private conflict(img: GraphImage, mask: ConflictMask): { conflict: DeleteConflict; used: boolean } | undefined {
    const children = mask.hard ? this.childrenOf(img.id) : [];
    const users = this.containersOf(img.id);
    const running = mask.hard ? users.filter((c) => RUNNING_STATES.has(c.state)) : [];
    const stopped = mask.stoppedContainer ? users.filter((c) => !RUNNING_STATES.has(c.state)) : [];
    const base = { imageId: img.id, containers: [...running, ...stopped], childImages: children };
    if (children.length > 0) {
      return { used: false, conflict: { ...base, code: 'image_in_use', message: 'the image has dependent child images' } };
    }
    if (running.length > 0) {
      return { used: true, conflict: { ...base, code: 'image_in_use', message: 'the image is being used by a running container' } };
    }
    if (mask.activeReference && img.refs.length > 0) {
      return {
        used: false,
        conflict: { ...base, code: 'conflict', message: 'the image is referenced in several repositories (must be forced)' },
      };
    }
    if (stopped.length > 0) {
      return { used: true, conflict: { ...base, code: 'image_in_use', message: 'the image is being used by a stopped container' } };
    }
    return undefined;
  }
}
