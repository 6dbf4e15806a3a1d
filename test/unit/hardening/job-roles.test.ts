import { JOB_START_ROLE } from '../../../src/domain/jobs/job';
import { loadSpec } from '../../../src/http/openapi';

type Op = { operationId?: string; security?: { bearerAuth?: string[] }[] };

/** The least role the contract asks of an operation (the scope of its bearerAuth requirement). */
function contractRole(operationId: string): string | undefined {
  const paths = loadSpec().doc.paths as Record<string, Record<string, Op>>;
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item)) if (op?.operationId === operationId) return op.security?.[0]?.bearerAuth?.[0];
  }
  return undefined;
}

describe('who may cancel a job', () => {
  test('when the contract names the role that starts each kind of job, then cancelling it needs that same role', () => {
    expect(JOB_START_ROLE).toEqual({
      pull: contractRole('pullImage'),
      push: contractRole('pushImage'),
      update_check: contractRole('checkAllUpdates'),
      recreate: contractRole('recreateContainer'),
      service_update: contractRole('updateSwarmService'),
      service_scale: contractRole('scaleSwarmService'),
      service_rollback: contractRole('rollbackSwarmService'),
    });
    expect(JOB_START_ROLE.push).toBe('admin');
  });
});
