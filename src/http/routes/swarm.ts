import { Router, type Request, type Response } from 'express';
import type { SwarmPeers } from '../../domain/swarm/swarm-peers';
import type { NodeSpecChange, SwarmJoinRequest, SwarmNode } from '../../domain/swarm/swarm';
import type { SwarmService } from '../../domain/swarm/swarm-service';
import type { CreateServiceRequest, ServiceCreator } from '../../domain/swarm/service-create';
import type { ServiceChanges } from '../../domain/swarm/service-changes';
import type { Job } from '../../domain/jobs/job';
import { DomainError } from '../../domain/errors';
import { principalOf } from '../auth';
import { queryBool } from '../query';

type JoinBody = { manager: string; role?: 'worker' | 'manager'; advertiseAddr?: string; listenAddr?: string } | SwarmJoinRequest;

/** `If-Match: "12"` (or `W/"12"`, or `12`): the service version the client read; absent: undefined. */
function ifMatchVersion(req: Request): number | undefined {
  const raw = req.get('If-Match');
  if (raw === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(raw);
  if (!m) throw new DomainError('invalid_request', 'If-Match must be the service version, e.g. "12"');
  return Number(m[1]);
}

const accepted = (res: Response, job: Job) => res.status(202).location(`/api/v1/jobs/${job.id}`).json(job);

/** Swarm mode of one engine: lifecycle (admin), join tokens (admin), nodes, services (their changes are jobs). */
export function swarmRouter(swarm: SwarmService, peers: SwarmPeers, creator: ServiceCreator, changes: ServiceChanges): Router {
  const router = Router();
  const withEngine = (nodes: SwarmNode[], owners: Map<string, string>) => nodes.map((n) => ({ ...n, engine: owners.get(n.id) ?? null }));

  router.get('/swarm', async (_req, res) => {
    res.json(await swarm.state());
  });
  router.post('/swarm/init', async (req, res) => {
    const body = req.body as { advertiseAddr: string; listenAddr?: string };
    res.status(201).json(await swarm.init(body));
  });
  router.post('/swarm/join', async (req, res) => {
    const body = req.body as JoinBody;
    let join: SwarmJoinRequest;
    if ('manager' in body) {
      // The token goes from one registered engine to the other inside the service: the client never sees it.
      const invite = await peers.get(body.manager, principalOf(req)).invitation(body.role ?? 'worker');
      join = { ...invite, advertiseAddr: body.advertiseAddr, listenAddr: body.listenAddr };
    } else join = body;
    const local = await swarm.join(join);
    res.json({ nodeId: local.nodeId, state: local.state, manager: local.manager });
  });
  router.post('/swarm/leave', async (req, res) => {
    await swarm.leave(queryBool(req.query.force) ?? false);
    res.status(204).end();
  });
  router.get('/swarm/join-tokens', async (_req, res) => {
    res.json(await swarm.joinTokens());
  });
  router.post('/swarm/join-tokens/rotate', async (req, res) => {
    const body = req.body as { worker?: boolean; manager?: boolean };
    res.json(await swarm.rotateJoinTokens({ worker: body.worker ?? false, manager: body.manager ?? false }));
  });
  router.get('/swarm/nodes', async (req, res) => {
    const [nodes, owners] = await Promise.all([swarm.listNodes(), peers.nodeEngines(principalOf(req))]);
    res.json(withEngine(nodes, owners));
  });
  router.get('/swarm/nodes/:nodeId', async (req, res) => {
    const [node, owners] = await Promise.all([swarm.inspectNode(String(req.params.nodeId)), peers.nodeEngines(principalOf(req))]);
    res.json(withEngine([node], owners)[0]);
  });
  router.patch('/swarm/nodes/:nodeId', async (req, res) => {
    const body = req.body as NodeSpecChange & { version?: number };
    const { version, ...change } = body;
    const node = await swarm.updateNode(String(req.params.nodeId), change, version);
    res.json(withEngine([node], await peers.nodeEngines(principalOf(req)))[0]);
  });
  router.get('/swarm/services', async (_req, res) => {
    res.json(await swarm.listServices());
  });
  router.post('/swarm/services', async (req, res) => {
    const { service, replayed } = await creator.create(req.body as CreateServiceRequest, principalOf(req), req.get('Idempotency-Key'));
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(201).location(`${req.baseUrl}/swarm/services/${service.id}`).json(service);
  });
  router.get('/swarm/services/:serviceId', async (req, res) => {
    const service = await swarm.inspectService(String(req.params.serviceId));
    res.setHeader('ETag', `"${service.version}"`);
    res.json(service);
  });
  router.get('/swarm/services/:serviceId/tasks', async (req, res) => {
    const [tasks, owners] = await Promise.all([swarm.listTasks(String(req.params.serviceId)), peers.nodeEngines(principalOf(req))]);
    res.json(tasks.map((t) => ({ ...t, engine: owners.get(t.nodeId) ?? null })));
  });
  router.get('/swarm/services/:serviceId/logs', async (req, res) => {
    const q = {
      tail: req.query.tail === undefined ? 100 : Number(req.query.tail),
      ...(req.query.since !== undefined ? { since: Number(req.query.since) } : {}),
      timestamps: queryBool(req.query.timestamps) ?? false,
      ...(typeof req.query.task === 'string' ? { taskId: req.query.task } : {}),
    };
    const [logs, owners] = await Promise.all([swarm.serviceLogs(String(req.params.serviceId), q), peers.nodeEngines(principalOf(req))]);
    res.json({ lines: logs.lines.map((l) => ({ ...l, engine: owners.get(l.nodeId) ?? null })), truncated: logs.truncated });
  });
  router.post('/swarm/services/:serviceId/update', async (req, res) => {
    const body = req.body as { image?: string; registry?: string; env?: Record<string, string>; force?: boolean };
    if (body.image === undefined && body.env === undefined && body.force !== true) {
      throw new DomainError('invalid_request', 'name what to change: image, env or force');
    }
    accepted(res, await changes.update(String(req.params.serviceId), body, ifMatchVersion(req), principalOf(req).name));
  });
  router.post('/swarm/services/:serviceId/scale', async (req, res) => {
    const body = req.body as { replicas: number };
    accepted(res, await changes.scale(String(req.params.serviceId), body.replicas, ifMatchVersion(req), principalOf(req).name));
  });
  router.post('/swarm/services/:serviceId/rollback', async (req, res) => {
    accepted(res, await changes.rollback(String(req.params.serviceId), ifMatchVersion(req), principalOf(req).name));
  });
  router.delete('/swarm/services/:serviceId', async (req, res) => {
    await swarm.removeService(String(req.params.serviceId));
    res.status(204).end();
  });
  return router;
}
