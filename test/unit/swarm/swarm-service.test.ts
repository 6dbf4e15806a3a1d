import { DomainError } from '../../../src/domain/errors';
import type { LocalSwarmState, SwarmEngine, SwarmNode } from '../../../src/domain/swarm/swarm';
import { SwarmService } from '../../../src/domain/swarm/swarm-service';

/** The version-race rule and the state checks, on a fake engine (the real engine cannot be made to race on demand). */
const manager: LocalSwarmState = { nodeId: 'n1', state: 'active', manager: true, nodeAddr: '127.0.0.1', managerAddrs: [], nodes: 1, managers: 1 };
const node = { id: 'n1', version: 0 } as SwarmNode;

function fakeEngine(over: Partial<SwarmEngine> = {}): SwarmEngine & { writes: number[] } {
  const writes: number[] = [];
  let version = 10;
  const engine = {
    writes,
    local: async () => manager,
    nodeSpec: async () => ({ version, spec: { Role: 'manager', Availability: 'active' } }),
    inspectNode: async () => ({ ...node, version }),
    // Another writer moves the node on between our read and our first write.
    updateNode: async (_id: string, v: number) => {
      writes.push(v);
      if (writes.length === 1) {
        version++;
        throw new Error('update out of sequence');
      }
      version++;
    },
    ...over,
  };
  return engine as unknown as SwarmEngine & { writes: number[] };
}

describe('SwarmService', () => {
  test('when a node update loses the version race once, then it is written again at the new version', async () => {
    const engine = fakeEngine();
    const done = await new SwarmService(engine).updateNode('n1', { availability: 'drain' });
    expect(engine.writes).toEqual([10, 11]);
    expect(done.version).toBe(12);
  });

  test('when a node update loses the race twice, then it is 409 version_conflict', async () => {
    let version = 10;
    const engine = fakeEngine({
      nodeSpec: async () => ({ version, spec: {} }),
      updateNode: async () => {
        version++;
        throw new Error('update out of sequence');
      },
    });
    await expect(new SwarmService(engine).updateNode('n1', { role: 'worker' })).rejects.toMatchObject({ code: 'version_conflict' });
  });

  test('when a write fails and the version did not move, then the engine error is passed on unchanged', async () => {
    const boom = new DomainError('engine_error', 'engine answered 500');
    const engine = fakeEngine({ updateNode: async () => Promise.reject(boom) });
    await expect(new SwarmService(engine).updateNode('n1', { availability: 'pause' })).rejects.toBe(boom);
  });

  test('when a node id carries URL characters, then it is refused before the engine', async () => {
    await expect(new SwarmService(fakeEngine()).inspectNode('../containers')).rejects.toMatchObject({ code: 'invalid_identifier' });
  });

  test('when the engine is a worker, then cluster reads are 409 not_swarm_manager', async () => {
    const engine = fakeEngine({ local: async () => ({ ...manager, manager: false }) });
    await expect(new SwarmService(engine).listNodes()).rejects.toMatchObject({ code: 'not_swarm_manager' });
  });
});
