import { Router, type Request } from 'express';
import type { ContainerStatus, LifecycleAction } from '../../domain/containers/container';
import type { ContainerCreator } from '../../domain/containers/container-creator';
import type { ContainerService } from '../../domain/containers/container-service';
import type { CreateContainerRequest } from '../../domain/containers/create-policy';
import type { ContainerUpdates } from '../../domain/updates/container-updates';
import { principalOf } from '../auth';
import { readHandler, type ReadOperation } from '../json-answer';
import { queryBool, queryInt, queryList, readOptions } from '../query';

const ACTIONS: readonly LifecycleAction[] = ['start', 'stop', 'restart', 'kill', 'pause', 'unpause'];

const queryNumber = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));
const id = (req: Request): string => String(req.params.id);

/** `POST /containers`: the `docker run` of the API (admin; see the create policy). */
export function containerCreateRouter(creator: ContainerCreator): Router {
  const router = Router();
  router.post('/containers', async (req, res) => {
    const key = req.get('Idempotency-Key');
    const { container, replayed } = await creator.create(req.body as CreateContainerRequest, principalOf(req), key);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(201).location(`/api/v1/containers/${container.id}`).json(container);
  });
  return router;
}

/** The container reads, by contract operationId: mounted below, and served directly by the fast read path. */
export function containerReads(containers: ContainerService, updates: ContainerUpdates): { listContainers: ReadOperation } {
  return {
    listContainers: async ({ role, query, header }) => {
      const rows = await containers.list(
        {
          all: queryBool(query.all) ?? false,
          size: queryBool(query.size) ?? false,
          label: queryList(query.label),
          status: queryList(query.status) as ContainerStatus[] | undefined,
          name: queryList(query.name),
          ancestor: queryList(query.ancestor),
          id: queryList(query.id),
          network: queryList(query.network),
        },
        readOptions(header),
        role,
      );
      // `updates=true` adds each row's update status from the update cache: never a registry call.
      return { value: queryBool(query.updates) ? await updates.annotate(rows) : rows, items: true };
    },
  };
}

/** Thin: the contract has validated every parameter and the body; the domain decides everything else. */
export function containerRouter(containers: ContainerService, reads: ReturnType<typeof containerReads>, updates: ContainerUpdates): Router {
  const router = Router();

  router.get('/containers', readHandler(reads.listContainers));

  router.get('/containers/:id', async (req, res) => {
    const details = await containers.inspect(id(req), principalOf(req).role);
    res.json({ ...details, update: await updates.of(details) });
  });

  router.delete('/containers/:id', async (req, res) => {
    await containers.remove(id(req), { force: queryBool(req.query.force) ?? false, volumes: queryBool(req.query.volumes) ?? false });
    res.status(204).end();
  });

  for (const action of ACTIONS) {
    router.post(`/containers/:id/${action}`, async (req, res) => {
      const signal = typeof req.query.signal === 'string' ? req.query.signal : undefined;
      res.json(await containers.act(id(req), action, { timeout: queryInt(req.query.timeout), signal }));
    });
  }

  router.post('/containers/:id/rename', async (req, res) => {
    res.json(await containers.rename(id(req), String((req.body as { name: string }).name)));
  });

  router.get('/containers/:id/logs', async (req, res) => {
    res.json(
      await containers.logs(id(req), {
        tail: queryInt(req.query.tail),
        since: queryNumber(req.query.since),
        until: queryNumber(req.query.until),
        timestamps: queryBool(req.query.timestamps),
        stdout: queryBool(req.query.stdout),
        stderr: queryBool(req.query.stderr),
      }),
    );
  });

  router.get('/containers/:id/stats', async (req, res) => {
    res.json(await containers.stats(id(req)));
  });

  return router;
}
