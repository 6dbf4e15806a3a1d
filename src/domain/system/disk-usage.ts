import type { ContainerUsage, EngineDiskUsage, ImageUsage } from '../images/image-admin-engine';

export interface DiskUsageImage {
  id: string;
  repoTags: string[];
  /** ISO 8601. */
  created: string;
  size: number;
  sharedSize: number;
  uniqueSize: number;
  containers: number;
}

export interface DiskUsage {
  layersSize: number;
  reclaimable: number;
  images: { count: number; active: number; reclaimable: number; reclaimableAtMost: number; items: DiskUsageImage[] };
  containers: { count: number; running: number; sizeRw: number; reclaimable: number; items: ContainerUsage[] };
  volumes: { count: number; active: number; size: number; reclaimable: number };
}

const RUNNING = new Set(['running', 'paused', 'restarting']);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + Math.max(0, b), 0);

/**
 * What removing every image no container uses would free. Per-layer sizes are not exposed by the engine, so
 * this is bracketed: at least the layers no in-use image can hold (LayersSize minus the in-use images' full
 * sizes) and at least the unused images' unique bytes; at most LayersSize minus the in-use images' unique bytes
 * (the figure `docker system df` prints). Both are exact when no two in-use images share layers.
 */
export function imageReclaimable(layersSize: number, images: ImageUsage[]): { reclaimable: number; atMost: number } {
  const used = images.filter((i) => i.containers > 0);
  const unused = images.filter((i) => i.containers === 0);
  const atMost = Math.max(0, layersSize - sum(used.map((i) => i.uniqueSize)));
  const atLeast = Math.max(0, layersSize - sum(used.map((i) => i.size)), sum(unused.map((i) => i.uniqueSize)));
  return { reclaimable: Math.min(atLeast, atMost), atMost };
}

export function summarizeDiskUsage(df: EngineDiskUsage): DiskUsage {
  const img = imageReclaimable(df.layersSize, df.images);
  const stopped = df.containers.filter((c) => !RUNNING.has(c.state));
  const volumesUnused = df.volumes.filter((v) => v.refCount === 0);
  const images = {
    count: df.images.length,
    active: df.images.filter((i) => i.containers > 0).length,
    reclaimable: img.reclaimable,
    reclaimableAtMost: img.atMost,
    items: df.images.map((i) => ({ ...i, created: new Date(i.created * 1000).toISOString() })),
  };
  const containers = {
    count: df.containers.length,
    running: df.containers.length - stopped.length,
    sizeRw: sum(df.containers.map((c) => c.sizeRw)),
    reclaimable: sum(stopped.map((c) => c.sizeRw)),
    items: df.containers,
  };
  const volumes = {
    count: df.volumes.length,
    active: df.volumes.filter((v) => v.refCount > 0).length,
    size: sum(df.volumes.map((v) => v.size)),
    reclaimable: sum(volumesUnused.map((v) => v.size)),
  };
  return {
    layersSize: Math.max(0, df.layersSize),
    reclaimable: images.reclaimable + containers.reclaimable + volumes.reclaimable,
    images,
    containers,
    volumes,
  };
}

/** `docker system df -v`, without summing image sizes (shared layers would be counted twice). */
export class DiskUsageService {
  constructor(private readonly engine: { diskUsage(): Promise<EngineDiskUsage> }) {}

  async usage(): Promise<DiskUsage> {
    return summarizeDiskUsage(await this.engine.diskUsage());
  }
}
