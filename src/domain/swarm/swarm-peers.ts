import type { Principal } from '../auth/tokens';
import { DomainError } from '../errors';
import type { EngineDirectory } from '../engines/engine-directory';
import type { SwarmService } from './swarm-service';

/** The other registered engines' swarms, as `principal` may reach them (404 engine_not_found otherwise). */
export interface SwarmPeers {
  get(engine: string, principal: Principal): SwarmService;
  /** Node id → the registered engine that is that node, over the engines `principal` may use. */
  nodeEngines(principal: Principal): Promise<Map<string, string>>;
}

/** Every engine's swarm for the others: a join between registered engines, and which registered engine a node is. */
export function swarmPeers(engines: EngineDirectory<{ swarm?: SwarmService }>): SwarmPeers {
  return {
    get(engine, principal) {
      const swarm = engines.get(engine, principal).swarm;
      if (!swarm) throw new DomainError('engine_unavailable', `engine "${engine}" has no swarm access here`, { engine });
      return swarm;
    },
    async nodeEngines(principal) {
      const names = engines.visibleTo(principal);
      // An engine that does not answer is simply not matched to a node.
      const locals = await Promise.all(
        names.map(async (n) => {
          const swarm = engines.get(n, principal).swarm;
          return swarm ? swarm.local().catch(() => undefined) : undefined;
        }),
      );
      const owners = new Map<string, string>();
      names.forEach((n, i) => {
        const id = locals[i]?.nodeId;
        if (id && !owners.has(id)) owners.set(id, n);
      });
      return owners;
    },
  };
}
