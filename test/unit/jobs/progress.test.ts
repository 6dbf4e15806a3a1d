import fs from 'node:fs';
import path from 'node:path';
import type { JobKind, JobProgress } from '../../../src/domain/jobs/job';
import { completeProgress, initialProgress, reduceProgress, toJobProgress, type ProgressState } from '../../../src/domain/jobs/progress';
import type { ProgressMessage } from '../../../src/domain/jobs/progress-message';

/** Raw lines recorded from the isolated engine by scripts/record-pull-streams.js. */
const fixture = (name: string): ProgressMessage[] =>
  fs
    .readFileSync(path.resolve(__dirname, '../../fixtures/pull-streams', `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as ProgressMessage);

/** Replays a stream, one line every `stepMs`, returning the view after each line. */
function replay(kind: JobKind, lines: ProgressMessage[], stepMs = 100): { state: ProgressState; views: JobProgress[] } {
  let state = initialProgress(kind);
  const views: JobProgress[] = [];
  lines.forEach((line, i) => {
    state = reduceProgress(state, line, i * stepMs);
    views.push(toJobProgress(state));
  });
  return { state, views };
}

describe('progress reducer, recorded cold pull', () => {
  const lines = fixture('cold-pull');

  test('when every line is replayed, then all layers are complete and bytes done equal the total', () => {
    const { state } = replay('pull', lines);
    const p = toJobProgress(state);
    expect(p.layersTotal).toBe(3);
    expect(p.layersDone).toBe(3);
    expect(p.layersAlreadyPresent).toBe(0);
    expect(p.layers.every((l) => l.state === 'complete')).toBe(true);
    expect(p.totalKnown).toBe(true);
    expect(p.bytesTotal).toBeGreaterThan(1_000_000);
    expect(p.bytesDone).toBe(p.bytesTotal);
    expect(state.status).toMatch(/^Downloaded newer image for 127\.0\.0\.1:\d+\/cold\/f:1$/);
    expect(state.error).toBeNull();
  });

  test('when replayed line by line, then percent never goes backwards and stays below 100 until confirmed', () => {
    const { state, views } = replay('pull', lines);
    for (let i = 1; i < views.length; i++) expect(views[i].percent).toBeGreaterThanOrEqual(views[i - 1].percent);
    expect(Math.max(...views.map((v) => v.percent))).toBeLessThan(100);
    expect(toJobProgress(completeProgress(state)).percent).toBe(100);
  });

  test('when only some layer sizes are known, then totalKnown is false and bytesTotal is a lower bound', () => {
    const { views } = replay('pull', lines);
    const final = views[views.length - 1];
    const firstKnown = views.findIndex((v) => v.totalKnown);
    expect(firstKnown).toBeGreaterThan(0);
    const before = views.slice(0, firstKnown).filter((v) => v.layersTotal > 0);
    expect(before.length).toBeGreaterThan(0);
    for (const v of before) {
      expect(v.totalKnown).toBe(false);
      expect(v.bytesTotal).toBeLessThan(final.bytesTotal);
      expect(v.etaSeconds).toBeNull();
    }
    // Once known, it stays known for the rest of the pull.
    expect(views.slice(firstKnown).every((v) => v.totalKnown)).toBe(true);
  });

  test('when the transfer is timed, then an eta is estimated while bytes remain', () => {
    const { views } = replay('pull', lines, 1000);
    const withEta = views.filter((v) => v.etaSeconds !== null);
    expect(withEta.length).toBeGreaterThan(0);
    for (const v of withEta) {
      expect(v.totalKnown).toBe(true);
      expect(v.bytesDone).toBeLessThan(v.bytesTotal);
      expect(v.etaSeconds).toBeGreaterThan(0);
    }
  });
});

describe('progress reducer, other recorded streams', () => {
  test('when the second tag is pulled after the first, then shared layers are already present and fewer bytes move', () => {
    const cold = toJobProgress(replay('pull', fixture('cold-pull')).state);
    const second = toJobProgress(replay('pull', fixture('second-tag-pull')).state);
    expect(second.layersAlreadyPresent).toBe(2);
    expect(second.layers.filter((l) => l.state === 'already_present').map((l) => l.current)).toEqual([null, null]);
    expect(second.layersDone).toBe(3);
    expect(second.bytesTotal).toBeLessThan(cold.bytesTotal);
    expect(second.bytesDone).toBe(second.bytesTotal);
  });

  test('when the image is up to date, then there are no layers and the status says so', () => {
    const { state } = replay('pull', fixture('up-to-date-pull'));
    expect(state.layers).toEqual([]);
    expect(state.status).toMatch(/^Image is up to date for /);
    expect(toJobProgress(state).totalKnown).toBe(false);
  });

  test('when a push uploads more bytes than the layer size, then done is capped at the total', () => {
    const { state, views } = replay('push', fixture('push-upload'));
    const p = toJobProgress(state);
    expect(p.layersTotal).toBe(3);
    expect(p.layers.every((l) => l.state === 'pushed')).toBe(true);
    for (const v of views) expect(v.bytesDone).toBeLessThanOrEqual(v.bytesTotal);
    expect(p.bytesDone).toBe(p.bytesTotal);
    expect(state.status).toMatch(/^1: digest: sha256:[a-f0-9]{64} size: \d+$/);
  });

  test('when a push finds every layer in the registry, then all are already present', () => {
    const p = toJobProgress(replay('push', fixture('push')).state);
    expect(p.layersTotal).toBe(3);
    expect(p.layersAlreadyPresent).toBe(3);
    expect(p.bytesTotal).toBe(0);
  });
});

describe('progress reducer, edge cases', () => {
  test('when an {error} line arrives, then the state carries the engine message', () => {
    const lines = [...fixture('cold-pull').slice(0, 8), { errorDetail: { message: 'unexpected EOF' }, error: 'unexpected EOF' }];
    const { state } = replay('pull', lines);
    expect(state.error).toBe('unexpected EOF');
  });

  test('when a late Downloading line follows Pull complete, then the layer stays complete', () => {
    let s = initialProgress('pull');
    s = reduceProgress(s, { status: 'Pulling fs layer', id: 'aaa', progressDetail: {} }, 0);
    s = reduceProgress(s, { status: 'Pull complete', id: 'aaa', progressDetail: {} }, 1);
    s = reduceProgress(s, { status: 'Downloading', id: 'aaa', progressDetail: { current: 1, total: 10 } }, 2);
    expect(s.layers[0].state).toBe('complete');
  });

  test('when a layer retries, then it is shown as retrying and keeps its bytes', () => {
    let s = initialProgress('pull');
    s = reduceProgress(s, { status: 'Downloading', id: 'aaa', progressDetail: { current: 40, total: 100 } }, 0);
    s = reduceProgress(s, { status: 'Retrying in 5 seconds', id: 'aaa', progressDetail: {} }, 1);
    expect(s.layers[0]).toEqual({ id: 'aaa', state: 'retrying', current: 40, total: 100 });
    expect(toJobProgress(s).bytesDone).toBe(40);
  });

  test('when thousands of lines arrive, then the state stays the size of the layer list', () => {
    let s = initialProgress('pull');
    for (let i = 0; i < 10_000; i++) {
      s = reduceProgress(s, { status: 'Downloading', id: `l${i % 4}`, progressDetail: { current: i, total: 20_000 } }, i * 10);
    }
    expect(s.layers).toHaveLength(4);
    expect(s.samples.length).toBeLessThanOrEqual(10);
  });
});
