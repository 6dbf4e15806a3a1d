import type { Job, SwarmNode, SwarmService } from '../../src/client/rest-client';

/** What a swarm service, node or service job says in words: pure, so it is unit-tested without a browser. */

const KIND: Record<string, string> = { service_update: 'Update', service_scale: 'Scale', service_rollback: 'Rollback' };

export const jobVerb = (job: Pick<Job, 'kind'>): string => KIND[job.kind] ?? job.kind;

/**
 * The percent to show for a job frame, given what the bar already shows for that job: the contract promises a
 * service job's percent never goes backwards, and the bar keeps that promise even if a frame came late.
 */
export const shownPercent = (shown: number | undefined, job: Pick<Job, 'progress'>): number => Math.max(shown ?? 0, job.progress.percent);

/** The line under a service job's bar: tasks updated / running of desired, failures, the engine's update state. */
export function serviceJobSummary(job: Job, percent = job.progress.percent): string {
  const s = job.service;
  if (!s) return `${Math.floor(percent)} %`;
  const parts = [`${Math.floor(percent)} %`, `${s.updated}/${s.desired} updated`, `${s.running}/${s.desired} running`];
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.rollback) parts.push('rolling back');
  if (s.updateState) parts.push(`engine: ${s.updateState.replace(/_/g, ' ')}`);
  return parts.join(' · ');
}

/** `2/2` with what a screen reader should hear. */
export function replicaText(s: Pick<SwarmService, 'running' | 'desired'>): { short: string; long: string } {
  return { short: `${s.running}/${s.desired}`, long: `${s.running} of ${s.desired} tasks running` };
}

/** The image without its pinned digest (what a person would type), and the digest apart. */
export function splitDigest(image: string): { ref: string; digest: string | null } {
  const at = image.indexOf('@');
  return at < 0 ? { ref: image, digest: null } : { ref: image.slice(0, at), digest: image.slice(at + 1) };
}

/** Nodes in a stable order: managers first (the leader first of all), then by hostname and id. */
export function sortNodes(nodes: SwarmNode[]): SwarmNode[] {
  const rank = (n: SwarmNode) => (n.leader ? 0 : n.role === 'manager' ? 1 : 2);
  return [...nodes].sort((a, b) => rank(a) - rank(b) || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
}
