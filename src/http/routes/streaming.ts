import { Router } from 'express';
import type { WsTicketStore } from '../../domain/auth/ws-tickets';
import type { EventsHub } from '../../domain/events/events-hub';
import { principalOf } from '../auth';
import { queryInt, queryList } from '../query';

/** WebSocket tickets for browsers. */
export function ticketRouter(tickets: WsTicketStore): Router {
  const router = Router();
  router.post('/ws-tickets', (req, res) => {
    res.status(201).json(tickets.issue(principalOf(req)));
  });
  return router;
}

/** One engine's events the hub holds, as a bounded REST query (numbers are the hub's one sequence across engines). */
export function eventsRouter(hub: EventsHub, engine: string): Router {
  const router = Router();
  router.get('/events', (req, res) => {
    const result = hub.query(
      {
        since: queryInt(req.query.since),
        until: queryInt(req.query.until),
        limit: queryInt(req.query.limit) ?? 100,
        filters: {
          engine: [engine],
          type: queryList(req.query.type),
          action: queryList(req.query.action),
          container: queryList(req.query.container),
          image: queryList(req.query.image),
          label: queryList(req.query.label),
        },
      },
      principalOf(req).role,
    );
    res.json({ ...result, engineConnected: hub.isConnected(engine) });
  });
  return router;
}
