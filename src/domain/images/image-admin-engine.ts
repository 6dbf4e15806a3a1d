/** What removing, pruning and measuring images needs from the engine, in the service's own words. */

export interface ImageNode {
  id: string;
  parentId: string | null;
  repoTags: string[];
  repoDigests: string[];
  /** Unix seconds. */
  created: number;
  /** Bytes of all its layers. */
  size: number;
  labels: Record<string, string>;
}

export interface ContainerUse {
  id: string;
  name: string;
  state: string;
  imageId: string;
}

export interface ImageUsage {
  id: string;
  repoTags: string[];
  created: number;
  size: number;
  sharedSize: number;
  uniqueSize: number;
  containers: number;
}

export interface ContainerUsage {
  id: string;
  name: string;
  imageId: string;
  image: string;
  state: string;
  sizeRw: number;
  sizeRootFs: number;
}

export interface VolumeUsage {
  name: string;
  /** Bytes, or -1 when the engine did not compute it. */
  size: number;
  /** Containers using it, or -1 when unknown. */
  refCount: number;
}

export interface EngineDiskUsage {
  /** Every layer counted once: the engine's own LayersSize. */
  layersSize: number;
  images: ImageUsage[];
  containers: ContainerUsage[];
  volumes: VolumeUsage[];
}

/** The engine's records, in its order: image ids and layer chain ids mixed in `deleted`. */
export interface RemovalRecords {
  untagged: string[];
  deleted: string[];
}

export interface PruneFilter {
  /** Only untagged images (the engine's default), or every unused one. */
  danglingOnly: boolean;
  /** Unix seconds: keep images created after this. */
  until?: number;
  /** `key` or `key=value`: the image must carry each. */
  labels: string[];
}

export interface ImageAdminEngine {
  /** The image a validated name or id resolves to; throws image_not_found. */
  resolve(name: string): Promise<ImageNode>;
  /** Every image, intermediate ones included. */
  images(): Promise<ImageNode[]>;
  /** Every container, running or not. */
  containers(): Promise<ContainerUse[]>;
  diskUsage(): Promise<EngineDiskUsage>;
  /** Throws image_in_use on the engine's 409, image_not_found on 404. */
  remove(name: string, opts: { force: boolean; noprune: boolean }): Promise<RemovalRecords>;
  prune(filter: PruneFilter): Promise<RemovalRecords & { spaceReclaimed: number }>;
}
