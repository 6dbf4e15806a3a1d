import type { Job, SwarmNode } from '../../../src/client/rest-client';
import { jobVerb, replicaText, serviceJobSummary, shownPercent, sortNodes, splitDigest } from '../../../web/src/service-text';

const job = (percent: number, service?: Partial<NonNullable<Job['service']>>): Job => ({
  id: '0b6c1bb8-5d4f-4b5e-9f51-4c8e0c1d2a3b',
  kind: 'service_update',
  engine: 'na',
  image: 'web',
  state: 'running',
  progress: {
    layers: [],
    bytesDone: 0,
    bytesTotal: 0,
    totalKnown: true,
    percent,
    layersTotal: 0,
    layersDone: 0,
    layersAlreadyPresent: 0,
    etaSeconds: null,
  },
  error: null,
  status: null,
  createdAt: '2026-01-01T10:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  createdBy: 'ops',
  ...(service && {
    service: {
      serviceId: 's1',
      name: 'web',
      desired: 3,
      updated: 0,
      running: 0,
      failed: 0,
      updateState: null,
      rollback: false,
      slots: [],
      ...service,
    },
  }),
});

const node = (hostname: string, role: SwarmNode['role'], leader: boolean, id: string): SwarmNode => ({
  id,
  version: 1,
  hostname,
  role,
  availability: 'active',
  state: 'ready',
  address: '10.0.0.1',
  leader,
  engineVersion: '20.10.24',
  labels: {},
  createdAt: '',
  updatedAt: '',
  engine: null,
});

describe('the console swarm texts', () => {
  test('when a frame arrives with a lower percent than the bar shows, then the bar keeps its value', () => {
    expect(shownPercent(undefined, job(20))).toBe(20);
    expect(shownPercent(66.7, job(33.3))).toBe(66.7);
    expect(shownPercent(66.7, job(100))).toBe(100);
  });

  test('when a service job runs, then its line says updated and running of desired, failures and the engine state', () => {
    expect(serviceJobSummary(job(66.7, { updated: 2, running: 2, updateState: 'updating' }))).toBe(
      '66 % · 2/3 updated · 2/3 running · engine: updating',
    );
    expect(serviceJobSummary(job(10, { failed: 1, rollback: true, updateState: 'rollback_started' }), 40)).toBe(
      '40 % · 0/3 updated · 0/3 running · 1 failed · rolling back · engine: rollback started',
    );
    expect(serviceJobSummary(job(5))).toBe('5 %');
    expect(jobVerb({ kind: 'service_scale' })).toBe('Scale');
    expect(jobVerb({ kind: 'service_rollback' })).toBe('Rollback');
  });

  test('when an image is pinned, then the reference and the digest are told apart', () => {
    expect(splitDigest('127.0.0.1:5000/seed/web:1.39@sha256:abc')).toEqual({ ref: '127.0.0.1:5000/seed/web:1.39', digest: 'sha256:abc' });
    expect(splitDigest('127.0.0.1:5000/seed/web:1.39')).toEqual({ ref: '127.0.0.1:5000/seed/web:1.39', digest: null });
    expect(replicaText({ running: 1, desired: 3 })).toEqual({ short: '1/3', long: '1 of 3 tasks running' });
  });

  test('when nodes are listed, then the leader comes first, then managers, then workers by hostname', () => {
    const sorted = sortNodes([
      node('b', 'worker', false, '1'),
      node('a', 'worker', false, '2'),
      node('z', 'manager', false, '3'),
      node('y', 'manager', true, '4'),
    ]);
    expect(sorted.map((n) => n.id)).toEqual(['4', '3', '2', '1']);
  });
});
