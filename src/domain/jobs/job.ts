import type { Role } from '../auth/roles';
/**
 * Long-running engine operations (pulls, pushes) as jobs that live apart from the HTTP request that started
 * them. These types are the shared contract between the jobs service (images issue), REST and the
 * WebSocket `job` channel.
 */
export type JobKind = 'pull' | 'push' | 'update_check' | 'recreate' | 'service_update' | 'service_scale' | 'service_rollback';
/** Jobs that are not an engine transfer: a sequence of steps run by the service itself. */
export const TASK_KINDS: readonly JobKind[] = ['update_check', 'recreate', 'service_update', 'service_scale', 'service_rollback'];
/**
 * The least role that may start a job of each kind — the scopes of pullImage, pushImage, checkAllUpdates and
 * recreateContainer in openapi.yaml (a unit test keeps them equal) — and so the least role that may cancel one.
 */
export const JOB_START_ROLE: Readonly<Record<JobKind, Role>> = {
  pull: 'operator',
  push: 'admin',
  update_check: 'operator',
  recreate: 'operator',
  service_update: 'operator',
  service_scale: 'operator',
  service_rollback: 'operator',
};
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const FINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export type LayerState =
  | 'waiting'
  | 'pulling'
  | 'downloading'
  | 'verifying'
  | 'downloaded'
  | 'extracting'
  | 'complete'
  | 'already_present'
  | 'retrying'
  | 'pushing'
  | 'pushed';

export interface LayerProgress {
  id: string;
  state: LayerState;
  /** Bytes done in the current phase (download or push); null before the engine says. */
  current: number | null;
  /** The layer's size; null until the engine reports it. */
  total: number | null;
}

export interface JobProgress {
  layers: LayerProgress[];
  bytesDone: number;
  /** Sum of the sizes known so far: a lower bound until totalKnown. */
  bytesTotal: number;
  /** False until every layer's size is known. */
  totalKnown: boolean;
  /** Never goes backwards; exactly 100 when the job succeeded. */
  percent: number;
  layersTotal: number;
  layersDone: number;
  /** Layers the engine already had (shared with local images): nothing to download. */
  layersAlreadyPresent: number;
  /** Seconds left, when it can be estimated. */
  etaSeconds: number | null;
}

export interface JobError {
  code: string;
  message: string;
}

export interface Job {
  id: string;
  kind: JobKind;
  /** The engine it runs on (`default`: DOCKER_HOST). */
  engine: string;
  /** The normalized reference, e.g. `127.0.0.1:5000/team/app:1.0`. */
  image: string;
  state: JobState;
  progress: JobProgress;
  error: JobError | null;
  /** Final engine status line (`Downloaded newer image …`, `Image is up to date …`) when there is one. */
  status: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Token name that started it. */
  createdBy: string;
  /** Task jobs (update_check, recreate): steps done of the steps known. */
  steps?: { done: number; total: number };
  /** Task jobs: what the task produced (the images checked, the replacement container …), once it ended. */
  result?: Record<string, unknown>;
  /** Swarm service jobs: desired / updated / running / failed tasks and each slot's state, as last read. */
  service?: ServiceJobProgress;
}

/** What a swarm service job (update, scale, rollback) last read of its service. */
export interface ServiceJobProgress {
  serviceId: string;
  name: string;
  desired: number;
  /** Slots whose task runs the current spec (running or on the way). */
  updated: number;
  /** Slots whose current-spec task is running. */
  running: number;
  /** Tasks that failed or were rejected since the job started. */
  failed: number;
  updateState: string | null;
  /** The engine is rolling the change back. */
  rollback: boolean;
  slots: { slot: number | null; nodeId: string; taskId: string; state: string; desiredState: string; error: string | null }[];
}

/** What the WebSocket channel and REST need from the jobs service. */
export interface JobFeed {
  get(id: string): Job | undefined;
  /**
   * Calls `listener` with the job's state on each change, the final state included, until the returned
   * function is called. Listeners must be cheap: the WS layer coalesces.
   */
  subscribe(id: string, listener: (job: Job) => void): () => void;
}
