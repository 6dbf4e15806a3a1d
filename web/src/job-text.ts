import type { Job, JobLayer } from '../../src/client/rest-client';
import { bytes, seconds } from './format';

/** What a job's progress says in words: pure, so it is unit-tested without a browser. */
export const LAYER_STATES: Record<string, string> = {
  waiting: 'waiting',
  pulling: 'pulling fs layer',
  downloading: 'downloading',
  verifying: 'verifying checksum',
  downloaded: 'downloaded',
  extracting: 'extracting',
  complete: 'complete',
  already_present: 'already present',
  retrying: 'retrying',
  pushing: 'pushing',
  pushed: 'pushed',
};
export const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export function layerPercent(l: JobLayer): number {
  if (l.state === 'complete' || l.state === 'already_present' || l.state === 'downloaded' || l.state === 'verifying' || l.state === 'pushed')
    return 100;
  return l.total ? (100 * (l.current ?? 0)) / l.total : 0;
}

/** The line under the overall bar: bytes, percent, ETA, and honesty about a total that is still a lower bound. */
export function summary(job: Job): string {
  const p = job.progress;
  // Update checks and recreates are steps of the service's own, not layers.
  if (job.steps) return `${job.steps.done}/${job.steps.total} steps · ${Math.floor(p.percent)} %`;
  const parts = [`${bytes(p.bytesDone)} of ${bytes(p.bytesTotal)}${p.totalKnown ? '' : '+'}`, `${Math.floor(p.percent)} %`];
  if (!FINAL.has(job.state)) parts.push(`ETA ${seconds(p.etaSeconds)}`);
  if (!p.totalKnown && !FINAL.has(job.state)) parts.push('total still growing');
  parts.push(`${p.layersDone}/${p.layersTotal} layers${p.layersAlreadyPresent ? `, ${p.layersAlreadyPresent} already present` : ''}`);
  return parts.join(' · ');
}
