import type { Job, JobLayer } from '../../../src/client/rest-client';
import { layerPercent, summary } from '../../../web/src/job-text';

const job = (state: Job['state'], progress: Partial<Job['progress']>): Job => ({
  id: '0b6c1bb8-5d4f-4b5e-9f51-4c8e0c1d2a3b',
  kind: 'pull',
  engine: 'default',
  image: '127.0.0.1:5000/team/app:1',
  state,
  progress: {
    layers: [],
    bytesDone: 0,
    bytesTotal: 0,
    totalKnown: false,
    percent: 0,
    layersTotal: 0,
    layersDone: 0,
    layersAlreadyPresent: 0,
    etaSeconds: null,
    ...progress,
  },
  error: null,
  status: null,
  createdAt: '2026-01-01T10:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  createdBy: 'ops',
});

describe('the console pull progress text', () => {
  test('when sizes of some layers are still unknown, then the total is a lower bound and says it is still growing', () => {
    const text = summary(
      job('running', {
        bytesDone: 1_500_000,
        bytesTotal: 4_000_000,
        totalKnown: false,
        percent: 18.7,
        etaSeconds: 12,
        layersTotal: 3,
        layersDone: 1,
        layersAlreadyPresent: 1,
      }),
    );
    expect(text).toBe('1.50 MB of 4.00 MB+ · 18 % · ETA 12 s · total still growing · 1/3 layers, 1 already present');
  });

  test('when every size is known, then the total is plain and no ETA is invented without a rate', () => {
    expect(summary(job('running', { bytesDone: 0, bytesTotal: 2_500_000, totalKnown: true, layersTotal: 2, layersDone: 1 }))).toBe(
      '0 B of 2.50 MB · 0 % · ETA – · 1/2 layers',
    );
  });

  test('when the job ended, then neither ETA nor a growing total is shown', () => {
    expect(
      summary(
        job('succeeded', {
          bytesDone: 2_500_000,
          bytesTotal: 2_500_000,
          totalKnown: true,
          percent: 100,
          layersTotal: 2,
          layersDone: 2,
          layersAlreadyPresent: 1,
        }),
      ),
    ).toBe('2.50 MB of 2.50 MB · 100 % · 2/2 layers, 1 already present');
    expect(summary(job('cancelled', { totalKnown: false }))).not.toMatch(/ETA|growing/);
  });

  test.each<[JobLayer, number]>([
    [{ id: 'a', state: 'downloading', current: 250, total: 1000 }, 25],
    [{ id: 'a', state: 'downloading', current: null, total: null }, 0],
    [{ id: 'a', state: 'extracting', current: 500, total: 1000 }, 50],
    [{ id: 'a', state: 'already_present', current: null, total: null }, 100],
    [{ id: 'a', state: 'complete', current: 0, total: 1000 }, 100],
  ])('when a layer is %j, then its bar shows %d %', (layer, percent) => {
    expect(layerPercent(layer)).toBe(percent);
  });
});
