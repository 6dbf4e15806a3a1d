import type { ReadOptions } from '../read-options';

/** What the service knows about images, in its own words: the engine adapter implements this. */

export interface ImageSummary {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** ISO 8601. */
  created: string;
  size: number;
  /** Bytes of this image's layers that other local images use too. */
  sharedSize: number;
  /** Bytes only this image uses: what removing it alone would free. */
  uniqueSize: number;
  /** Containers (running or not) created from this image. */
  containers: number;
  inUse: boolean;
  labels: Record<string, string>;
  /**
   * Set when sharedSize and uniqueSize come from an earlier disk-usage walk, not a new one (the engine runs one walk
   * at a time and another client held it); an image that walk did not see has sharedSize 0. `containers` is current.
   */
  sizesStale?: true;
}

export interface ImageDetails {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: string;
  architecture: string;
  os: string;
  variant?: string;
  author: string;
  user: string;
  entrypoint: string[] | null;
  cmd: string[] | null;
  env: string[];
  exposedPorts: string[];
  workingDir: string;
  labels: Record<string, string>;
  /** Layer diff ids, base first. */
  layers: string[];
  size: number;
}

export interface ImageHistoryEntry {
  /** The image id of the step, or null for steps that exist only as history. */
  id: string | null;
  created: string;
  createdBy: string;
  size: number;
  tags: string[];
  comment: string;
  /** True when the step made no filesystem layer (ENV, CMD, EXPOSE …). */
  emptyLayer: boolean;
}

export interface ImageListFilter {
  reference?: string[];
  dangling?: boolean;
  label?: string[];
}

export interface ImageRepository {
  list(filter: ImageListFilter, read?: ReadOptions): Promise<ImageSummary[]>;
  /** `name` has been validated (parseImageLookup). Throws image_not_found. */
  inspect(name: string, read?: ReadOptions): Promise<ImageDetails>;
  history(name: string): Promise<ImageHistoryEntry[]>;
}
