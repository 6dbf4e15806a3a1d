import { ProgressCoalescer } from '../../../src/ws/coalescer';
import type { Job, JobState } from '../../../src/domain/jobs/job';

const job = (state: JobState, percent: number): Job => ({
  id: 'j1',
  kind: 'pull',
  engine: 'default',
  image: 'x:1',
  state,
  progress: {
    layers: [],
    bytesDone: 0,
    bytesTotal: 0,
    totalKnown: false,
    percent,
    layersTotal: 0,
    layersDone: 0,
    layersAlreadyPresent: 0,
    etaSeconds: null,
  },
  error: null,
  status: null,
  createdAt: '',
  startedAt: null,
  finishedAt: null,
  createdBy: 't',
});

describe('ProgressCoalescer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const collect = () => {
    const sent: { percent: number; state: string; final: boolean }[] = [];
    const c = new ProgressCoalescer((j, final) => sent.push({ percent: j.progress.percent, state: j.state, final }), 100);
    return { c, sent };
  };

  test('when many updates come within one interval, then the first goes at once and only the latest follows', () => {
    const { c, sent } = collect();
    for (let p = 1; p <= 50; p++) c.push(job('running', p));
    expect(sent.map((s) => s.percent)).toEqual([1]);
    jest.advanceTimersByTime(100);
    expect(sent.map((s) => s.percent)).toEqual([1, 50]);
  });

  test('when percent goes down, then the subscriber still sees it never go backwards', () => {
    const { c, sent } = collect();
    c.push(job('running', 40));
    jest.advanceTimersByTime(150);
    c.push(job('running', 30));
    expect(sent.map((s) => s.percent)).toEqual([40, 40]);
  });

  test('when the final state arrives while an update waits, then the final goes at once and nothing after it', () => {
    const { c, sent } = collect();
    c.push(job('running', 10));
    c.push(job('running', 60));
    c.push(job('succeeded', 99));
    c.push(job('running', 70));
    jest.advanceTimersByTime(500);
    expect(sent).toEqual([
      { percent: 10, state: 'running', final: false },
      { percent: 100, state: 'succeeded', final: true },
    ]);
  });

  test('when 10 s of updates stream in every 10 ms, then at most 10 frames per second go out', () => {
    const { c, sent } = collect();
    for (let i = 0; i < 1000; i++) {
      c.push(job('running', i / 10));
      jest.advanceTimersByTime(10);
    }
    expect(sent.length).toBeLessThanOrEqual(101);
    expect(sent.length).toBeGreaterThanOrEqual(90);
  });

  test('when closed, then a pending update is never sent', () => {
    const { c, sent } = collect();
    c.push(job('running', 1));
    c.push(job('running', 2));
    c.close();
    jest.advanceTimersByTime(500);
    expect(sent).toHaveLength(1);
  });
});
