import { judge, progressOf, slotsOf } from '../../../src/domain/swarm/service-changes';
import { planServiceCreate } from '../../../src/domain/swarm/service-create';
import type { ServiceRecord, ServiceTask } from '../../../src/domain/swarm/swarm';

const task = (over: Partial<ServiceTask>): ServiceTask => ({
  id: 't',
  serviceId: 's',
  slot: 1,
  nodeId: 'n1',
  desiredState: 'running',
  state: 'running',
  message: '',
  error: null,
  containerId: 'c',
  upToDate: true,
  createdAt: '2026-01-01T00:00:10Z',
  updatedAt: '2026-01-01T00:00:10Z',
  ...over,
});

const record: ServiceRecord = {
  id: 's',
  name: 'web',
  version: 3,
  mode: 'replicated',
  desired: 2,
  monitorMs: 1000,
  updateStatus: null,
  hasPreviousSpec: true,
  spec: {},
};

describe('which task stands for a slot (as the docker CLI picks it)', () => {
  test('when a slot has an old task and a start-first new one, then only the current-spec one counts, the lower desired state first', () => {
    const tasks = [
      task({ id: 'old', upToDate: false }),
      task({ id: 'new', state: 'starting' }),
      task({ id: 'gone', desiredState: 'shutdown', state: 'shutdown' }),
      task({ id: 'b', slot: 2, nodeId: 'n2' }),
    ];
    expect(slotsOf(tasks, false).map((t) => t.id)).toEqual(['new', 'b']);
    const p = progressOf(record, tasks, '2026-01-01T00:00:00Z', null, false);
    expect(p).toMatchObject({ desired: 2, updated: 2, running: 1, failed: 0 });
  });

  test('when a global service has tasks, then slots are its nodes and failures since the job started are counted', () => {
    const tasks = [
      task({ id: 'a', slot: null, nodeId: 'n1' }),
      task({ id: 'x', slot: null, nodeId: 'n2', state: 'failed', desiredState: 'shutdown', error: 'exit 3' }),
      task({ id: 'old-fail', slot: null, nodeId: 'n2', state: 'failed', desiredState: 'shutdown', createdAt: '2025-01-01T00:00:00Z' }),
    ];
    const p = progressOf({ ...record, mode: 'global' }, tasks, '2026-01-01T00:00:00Z', 'updating', false);
    expect(p.slots.map((s) => s.nodeId)).toEqual(['n1', 'n2']);
    expect(p).toMatchObject({ running: 1, updated: 1, failed: 1 });
  });
});

describe('what the engine says of an update', () => {
  test('when the update paused or rolled back, then an update job fails with the engine message; a rollback job waits', () => {
    expect(judge('service_update', 'paused', 'task failed', null)).toEqual({
      state: 'failed',
      code: 'update_paused',
      message: 'the update paused: task failed',
    });
    expect(judge('service_update', 'rollback_completed', 'rollback completed', 'update rolled back due to failure')).toEqual({
      state: 'failed',
      code: 'update_rolled_back',
      message: 'update rolled back due to failure',
    });
    expect(judge('service_rollback', 'rollback_completed', 'rollback completed', null)).toEqual({ state: 'waiting' });
    expect(judge('service_rollback', 'rollback_paused', 'x', null)).toMatchObject({ state: 'failed', code: 'update_paused' });
    expect(judge('service_update', 'updating', '', null)).toEqual({ state: 'waiting' });
  });
});

describe('the create allowlist', () => {
  test('when a create names host networking or a bind outside the roots, then it is refused; a bind inside is read-only unless writable', () => {
    expect(() => planServiceCreate({ name: 'a', image: 'x', networks: ['host'] }, [])).toThrow(/not allowed/);
    expect(() =>
      planServiceCreate({ name: 'a', image: 'x', mounts: [{ type: 'bind', source: '/etc', target: '/e' }] }, [{ path: '/srv', writable: true }]),
    ).toThrow(/not allowed/);
    const plan = planServiceCreate({ name: 'a', image: 'x', mounts: [{ type: 'bind', source: '/srv/data', target: '/d' }] }, [
      { path: '/srv', writable: false },
    ]);
    expect(plan.mounts).toEqual([{ type: 'bind', source: '/srv/data', target: '/d', readOnly: true }]);
    expect(plan).toMatchObject({ mode: 'replicated', replicas: 1 });
    expect(() => planServiceCreate({ name: 'a', image: 'x', mode: 'global', replicas: 2 }, [])).toThrow(/global/);
  });
});
