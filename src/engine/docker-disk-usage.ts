import type Docker from 'dockerode';
import type { EngineDiskUsage } from '../domain/images/image-admin-engine';
import type { ChangeFeed } from './change-feed';
import { DiskUsageCache } from './disk-usage-cache';
import { engineCall } from './engine-errors';

const orEmpty = <T>(v: T[] | null | undefined): T[] => v ?? [];
const realTags = (t: string[] | null | undefined): string[] => orEmpty(t).filter((x) => x !== '<none>:<none>');
const nameOf = (names: string[] | null | undefined): string => (orEmpty(names)[0] ?? '').replace(/^\//, '');
const nonNegative = (n: number | null | undefined): number => Math.max(0, n ?? 0);

/** The parts of `/system/df` (API 1.41) we read. */
export interface Df {
  LayersSize?: number;
  Images?: { Id: string; RepoTags: string[] | null; Created: number; Size: number; SharedSize: number; Containers: number }[] | null;
  Containers?: { Id: string; Names: string[] | null; Image: string; ImageID: string; State: string; SizeRw?: number; SizeRootFs?: number }[] | null;
  Volumes?: { Name: string; UsageData?: { Size: number; RefCount: number } | null }[] | null;
}

export function toEngineDiskUsage(df: Df | null | undefined): EngineDiskUsage {
  const d = df ?? {};
  return {
    layersSize: nonNegative(d.LayersSize),
    images: orEmpty(d.Images).map((i) => {
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
    containers: orEmpty(d.Containers).map((c) => ({
      id: c.Id,
      name: nameOf(c.Names),
      imageId: c.ImageID,
      image: c.Image,
      state: c.State,
      sizeRw: nonNegative(c.SizeRw),
      sizeRootFs: nonNegative(c.SizeRootFs),
    })),
    volumes: orEmpty(d.Volumes).map((v) => ({ name: v.Name, size: v.UsageData?.Size ?? -1, refCount: v.UsageData?.RefCount ?? -1 })),
  };
}

/**
 * Waits before each new try of a refused df (each taken between half and all of it at random, so a retry can land
 * between the dfs of a client that runs them back to back): together up to 15.6 s, well inside the df's own bound.
 * Measured: with the fuzzer's service running dfs one after another, 7.6 s of fixed delays were not enough.
 */
export const DF_RETRY_DELAYS_MS = [50, 150, 400, 1000, 2000, 4000, 4000, 4000];

/**
 * One `/system/df`. The engine runs one at a time and refuses any other meanwhile with a bare 500 ("a disk usage
 * operation is already running"). Our own callers never overlap (they share the gate below), but another client
 * of the engine may: a 500 is tried again a few times. It is a read, so a retry of a 500 of another kind is harmless.
 */
export async function readDf(docker: Pick<Docker, 'df'>, delaysMs: number[] = DF_RETRY_DELAYS_MS): Promise<Df> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await docker.df()) as Df;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 500 || attempt >= delaysMs.length) throw err;
      await new Promise((r) => setTimeout(r, delaysMs[attempt] * (0.5 + Math.random() / 2)));
    }
  }
}

/**
 * The service's one gate for `/system/df`: the image list, the disk-usage report and the removal and prune
 * previews all go through it, so the service never starts a second df while one runs. The walk of every layer
 * can take far longer than an ordinary call, so it goes through the client without a socket timeout and gets a
 * longer bound of its own; each caller still waits no longer than its own bound.
 */
export function diskUsageGate(streaming: Docker, engineTimeoutMs: number, changes?: ChangeFeed): DiskUsageCache<EngineDiskUsage> {
  const timeoutMs = slowTimeoutMs(engineTimeoutMs);
  return new DiskUsageCache(async () => toEngineDiskUsage(await engineCall(() => readDf(streaming), { timeoutMs })), changes);
}

/** The bound of calls that walk or remove layers. */
export const slowTimeoutMs = (engineTimeoutMs: number): number => Math.max(60000, 6 * engineTimeoutMs);
