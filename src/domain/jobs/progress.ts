import type { JobKind, JobProgress, LayerProgress, LayerState } from './job';
import { streamError, type ProgressMessage } from './progress-message';

/**
 * The pure progress reducer: engine pull/push lines in, an aggregated view out. It keeps one entry per
 * layer and a few rate samples, never the messages themselves, so a job's memory does not grow with
 * the length of its stream.
 */
export interface ProgressState {
  readonly kind: JobKind;
  readonly layers: readonly LayerProgress[];
  /** The highest percent shown so far: what is shown never goes backwards. */
  readonly percent: number;
  /** The last engine status line that is not about a layer (`Downloaded newer image for …`). */
  readonly status: string | null;
  /** The message of an `{error}` line, when the stream carried one. */
  readonly error: string | null;
  readonly samples: readonly RateSample[];
}

export interface RateSample {
  atMs: number;
  bytes: number;
}

/** An image has at most ~127 layers on overlay2; anything past this is not a real stream. */
const MAX_LAYERS = 512;
const MAX_SAMPLES = 10;
const SAMPLE_SPACING_MS = 1000;
/** Until the job is confirmed (the image inspected), the bar stops short of done. */
const MAX_RUNNING_PERCENT = 99;

const PULL_STATES: Record<string, LayerState> = {
  'Pulling fs layer': 'pulling',
  Waiting: 'waiting',
  Downloading: 'downloading',
  'Verifying Checksum': 'verifying',
  'Download complete': 'downloaded',
  Extracting: 'extracting',
  'Pull complete': 'complete',
  'Already exists': 'already_present',
};

const PUSH_STATES: Record<string, LayerState> = {
  Preparing: 'waiting',
  Waiting: 'waiting',
  Pushing: 'pushing',
  Pushed: 'pushed',
  'Layer already exists': 'already_present',
};

/** The layer state a status line means, or undefined for lines that are not about a layer. */
export function layerStateOf(kind: JobKind, status: string): LayerState | undefined {
  if (status.startsWith('Retrying in ')) return 'retrying';
  if (kind === 'push') {
    // "Mounted from other/repo": the registry already had the blob; nothing was uploaded.
    if (status.startsWith('Mounted from ')) return 'already_present';
    return PUSH_STATES[status];
  }
  return PULL_STATES[status];
}

export function initialProgress(kind: JobKind): ProgressState {
  return { kind, layers: [], percent: 0, status: null, error: null, samples: [] };
}

const positive = (n: number | undefined): number | null => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null);
const nonNegative = (n: number | undefined): number | null => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : null);

const FINISHED_TRANSFER: ReadonlySet<LayerState> = new Set(['verifying', 'downloaded', 'extracting', 'complete', 'pushed']);
const DONE: ReadonlySet<LayerState> = new Set(['complete', 'pushed', 'already_present']);

/** Bytes of this layer already transferred (downloaded or uploaded), never more than its size. */
function transferred(l: LayerProgress): number {
  if (l.state === 'already_present') return 0;
  if (FINISHED_TRANSFER.has(l.state)) return l.total ?? 0;
  if (l.state === 'downloading' || l.state === 'pushing' || l.state === 'retrying') {
    const cur = l.current ?? 0;
    return l.total !== null ? Math.min(cur, l.total) : 0;
  }
  return 0;
}

/** How far along a layer is, 0..1. A pull layer is half download, half extraction. */
function fraction(kind: JobKind, l: LayerProgress): number {
  const ratio = l.total ? Math.min(1, (l.current ?? 0) / l.total) : 0;
  switch (l.state) {
    case 'complete':
    case 'pushed':
    case 'already_present':
      return 1;
    case 'downloading':
    case 'retrying':
      return kind === 'pull' ? ratio / 2 : ratio;
    case 'pushing':
      return ratio;
    case 'verifying':
    case 'downloaded':
      return 0.5;
    case 'extracting':
      return 0.5 + ratio / 2;
    default:
      return 0;
  }
}

function updateLayer(layers: readonly LayerProgress[], msg: ProgressMessage, state: LayerState): readonly LayerProgress[] {
  const id = msg.id as string;
  const i = layers.findIndex((l) => l.id === id);
  if (i < 0 && layers.length >= MAX_LAYERS) return layers;
  const prev: LayerProgress = i >= 0 ? layers[i] : { id, state, current: null, total: null };
  const total = positive(msg.progressDetail?.total) ?? prev.total;
  const current = nonNegative(msg.progressDetail?.current) ?? (state === prev.state || state === 'retrying' ? prev.current : null);
  // A layer's line can arrive late (a "Downloading" after "Download complete" on a slow socket): never regress.
  const regress =
    DONE.has(prev.state) || (FINISHED_TRANSFER.has(prev.state) && (state === 'downloading' || state === 'pulling' || state === 'waiting'));
  const next: LayerProgress = regress && i >= 0 ? { ...prev, total } : { id, state, current, total };
  const copy = layers.slice();
  if (i >= 0) copy[i] = next;
  else copy.push(next);
  return copy;
}

function totals(layers: readonly LayerProgress[]) {
  const moving = layers.filter((l) => l.state !== 'already_present');
  const bytesDone = moving.reduce((s, l) => s + transferred(l), 0);
  const bytesTotal = moving.reduce((s, l) => s + (l.total ?? 0), 0);
  const totalKnown = layers.length > 0 && moving.every((l) => l.total !== null);
  return { moving, bytesDone, bytesTotal, totalKnown };
}

/** Percent from bytes once every size is known; from layer counts before (sizes arrive layer by layer). */
function rawPercent(kind: JobKind, layers: readonly LayerProgress[]): number {
  const { moving, bytesTotal, totalKnown } = totals(layers);
  if (moving.length === 0) return 0;
  if (totalKnown && bytesTotal > 0) {
    return (100 * moving.reduce((s, l) => s + fraction(kind, l) * (l.total ?? 0), 0)) / bytesTotal;
  }
  return (100 * moving.reduce((s, l) => s + fraction(kind, l), 0)) / moving.length;
}

function addSample(samples: readonly RateSample[], atMs: number, bytes: number): readonly RateSample[] {
  const last = samples[samples.length - 1];
  if (last && atMs - last.atMs < SAMPLE_SPACING_MS) return samples;
  const next = [...samples, { atMs, bytes }];
  return next.length > MAX_SAMPLES ? next.slice(next.length - MAX_SAMPLES) : next;
}

/** Folds one engine line into the state. Pure: the same inputs always give the same state. */
export function reduceProgress(state: ProgressState, msg: ProgressMessage, nowMs: number): ProgressState {
  const err = streamError(msg);
  if (err !== undefined) return { ...state, error: err };
  if (typeof msg.status !== 'string') return state;
  const layerState = msg.id ? layerStateOf(state.kind, msg.status) : undefined;
  if (!layerState) {
    // "Pulling from x" carries the tag as its id; it is not a layer and not a final status.
    if (msg.status.startsWith('Pulling from ') || msg.status.startsWith('The push refers to ')) return state;
    return { ...state, status: msg.status.replace(/^Status: /, '') };
  }
  const layers = updateLayer(state.layers, msg, layerState);
  const percent = Math.max(state.percent, Math.min(MAX_RUNNING_PERCENT, Math.floor(rawPercent(state.kind, layers) * 10) / 10));
  const samples = addSample(state.samples, nowMs, totals(layers).bytesDone);
  return { ...state, layers, percent, samples };
}

/** The job is confirmed done (the image is present): exactly 100, whatever the lines said. */
export function completeProgress(state: ProgressState): ProgressState {
  return { ...state, percent: 100 };
}

/** Seconds left from the recent transfer rate; null when there is nothing to go on. */
function eta(samples: readonly RateSample[], bytesDone: number, bytesTotal: number, totalKnown: boolean): number | null {
  if (!totalKnown || samples.length < 2 || bytesDone >= bytesTotal) return null;
  const first = samples[0];
  const last = samples[samples.length - 1];
  const span = last.atMs - first.atMs;
  const rate = (last.bytes - first.bytes) / span;
  if (span < SAMPLE_SPACING_MS || !(rate > 0)) return null;
  return Math.ceil((bytesTotal - bytesDone) / rate / 1000);
}

/** The shared JobProgress view of a state. */
export function toJobProgress(state: ProgressState): JobProgress {
  const { bytesDone, bytesTotal, totalKnown } = totals(state.layers);
  const done = state.percent === 100;
  return {
    layers: state.layers.map((l) => ({ ...l })),
    bytesDone,
    bytesTotal,
    totalKnown,
    percent: state.percent,
    layersTotal: state.layers.length,
    layersDone: state.layers.filter((l) => DONE.has(l.state)).length,
    layersAlreadyPresent: state.layers.filter((l) => l.state === 'already_present').length,
    etaSeconds: done ? 0 : eta(state.samples, bytesDone, bytesTotal, totalKnown),
  };
}
