import { DomainError } from '../errors';
import type { ImageAdminEngine, ImageNode, PruneFilter } from './image-admin-engine';
import { ImageGraph } from './image-graph';
import { toGraphImage } from './image-removal-service';

export interface PruneRequest {
  all?: boolean;
  until?: string;
  label?: string[];
}

export interface PruneResult {
  dryRun: boolean;
  untagged: string[];
  deleted: string[];
  deletedLayers?: string[];
  bytesFreed: number;
}

const DURATION = /^(?:\d{1,6}[hms])+$/;
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1 };

/**
 * `until` as the engine reads it, turned into Unix seconds here so that a preview and the real prune use the
 * same cutoff (a duration counts back from `now`; a bare date is UTC midnight).
 */
export function parseUntil(value: string, now: Date): number {
  if (DURATION.test(value)) {
    let seconds = 0;
    for (const [, n, unit] of value.matchAll(/(\d+)([hms])/g)) seconds += Number(n) * UNIT_SECONDS[unit];
    return Math.floor(now.getTime() / 1000) - seconds;
  }
  if (/^\d{1,12}$/.test(value)) return Number(value);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ms = Date.parse(iso);
  if (!/^\d{4}-\d{2}-\d{2}(?:T.*(?:Z|[+-]\d{2}:\d{2}))?$/.test(value) || Number.isNaN(ms)) {
    throw new DomainError('invalid_request', `until "${value}" is not a duration, an RFC 3339 time with zone, a date or Unix seconds`);
  }
  return Math.floor(ms / 1000);
}

/** The engine's MatchKVList: every `key` must be present, every `key=value` equal. */
export function labelsMatch(wanted: string[], labels: Record<string, string>): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const key = eq >= 0 ? w.slice(0, eq) : w;
    if (!Object.prototype.hasOwnProperty.call(labels, key)) return false;
    return eq < 0 || labels[key] === w.slice(eq + 1);
  });
}

export function toPruneFilter(req: PruneRequest, now: Date): PruneFilter {
  const labels = req.label ?? [];
  for (const l of labels) {
    if (!/^[^\s=!][^\s]*$/.test(l)) throw new DomainError('invalid_request', `label "${l}" must be key or key=value`);
  }
  return {
    danglingOnly: !req.all,
    ...(req.until !== undefined ? { until: parseUntil(req.until, now) } : {}),
    labels,
  };
}

/**
 * The engine's ImagesPrune (daemon/images/prune.go) replayed on a copy: which top images are candidates,
 * and what deleting each (refs first, then by id, pruning parents) untags and deletes.
 */
export function planPrune(nodes: ImageNode[], graph: ImageGraph, filter: PruneFilter): { untagged: string[]; deleted: string[] } {
  const untagged: string[] = [];
  const deleted: string[] = [];
  const candidates = nodes
    .filter((n) => !filter.danglingOnly || graph.childrenOf(n.id).length === 0)
    .filter((n) => !(graph.refsOf(n.id).length === 0 && graph.childrenOf(n.id).length > 0))
    .filter((n) => filter.until === undefined || n.created <= filter.until)
    .filter((n) => labelsMatch(filter.labels, n.labels))
    .sort((a, b) => a.id.localeCompare(b.id));
  for (const n of candidates) {
    if (!graph.has(n.id)) continue;
    const refs = graph.refsOf(n.id);
    const steps: (string | undefined)[] = [];
    if (refs.length === 0) steps.push(undefined);
    // Dangling-only mode keeps any image with a tag; digest-only references do not save it.
    else if (!filter.danglingOnly || !refs.some((r) => !r.includes('@'))) steps.push(...refs);
    for (const ref of steps) {
      if (!graph.has(n.id)) break;
      const outcome = graph.imageDelete(n.id, ref, false, true);
      if (outcome.conflict) continue;
      untagged.push(...outcome.untagged);
      deleted.push(...outcome.deleted);
    }
  }
  return { untagged, deleted };
}

/** `docker image prune`, with a preview that changes nothing. */
export class ImagePruneService {
  constructor(
    private readonly engine: ImageAdminEngine,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async prune(req: PruneRequest, dryRun: boolean): Promise<PruneResult> {
    const filter = toPruneFilter(req, this.now());
    const nodes = await this.engine.images();
    if (!dryRun) {
      const known = new Set(nodes.map((n) => n.id));
      const r = await this.engine.prune(filter);
      return {
        dryRun: false,
        untagged: r.untagged,
        deleted: r.deleted.filter((d) => known.has(d)),
        deletedLayers: r.deleted.filter((d) => !known.has(d)),
        bytesFreed: r.spaceReclaimed,
      };
    }
    const [containers, usage] = await Promise.all([this.engine.containers(), this.engine.diskUsage()]);
    const graph = new ImageGraph(nodes.map(toGraphImage), containers);
    const plan = planPrune(nodes, graph, filter);
    const unique = new Map(usage.images.map((u) => [u.id, u.uniqueSize]));
    // Intermediate parents are not listed by the engine: their layers are already in their child's unique bytes.
    const bytesFreed = plan.deleted.reduce((sum, id) => sum + Math.max(0, unique.get(id) ?? 0), 0);
    return { dryRun: true, ...plan, bytesFreed };
  }
}
