import { Router } from 'express';
import type { WsTicketStore } from '../../domain/auth/ws-tickets';
import type { EventsHub } from '../../domain/events/events-hub';
import { principalOf } from '../auth';
import { queryInt, queryList } from '../query';

/** WebSocket tickets for browsers, and the engine events the hub holds, as a bounded REST query. */
export function streamingRouter(hub: EventsHub, tickets: WsTicketStore): Router {
  const router = Router();
  router.post('/ws-tickets', (req, res) => {
    res.status(201).json(tickets.issue(principalOf(req)));
  });
  router.get('/events', (req, res) => {
    const result = hub.query(
      {
        since: queryInt(req.query.since),
        until: queryInt(req.query.until),
        limit: queryInt(req.query.limit) ?? 100,
        filters: {
          type: queryList(req.query.type),
          action: queryList(req.query.action),
          container: queryList(req.query.container),
          image: queryList(req.query.image),
          label: queryList(req.query.label),
        },
      },
      principalOf(req).role,
    );
    res.json({ ...result, engineConnected: hub.connected });
  });
  return router;
}
