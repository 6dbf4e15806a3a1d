import { Router } from 'express';
import type { WebhookInput, WebhookService } from '../../domain/webhooks/webhook-service';

/** Outbound webhooks (admin): CRUD, their deliveries, and redelivery. The secret goes in, never out. */
export function webhookRouter(webhooks: WebhookService): Router {
  const router = Router();
  router.get('/webhooks', (_req, res) => {
    res.json({ items: webhooks.list() });
  });
  router.post('/webhooks', async (req, res) => {
    const w = await webhooks.create(req.body as WebhookInput);
    res.status(201).location(`/api/v1/webhooks/${w.id}`).json(w);
  });
  router.get('/webhooks/:id', (req, res) => {
    res.json(webhooks.get(String(req.params.id)));
  });
  router.patch('/webhooks/:id', async (req, res) => {
    res.json(await webhooks.update(String(req.params.id), req.body as Partial<WebhookInput>));
  });
  router.delete('/webhooks/:id', (req, res) => {
    webhooks.remove(String(req.params.id));
    res.status(204).end();
  });
  router.get('/webhooks/:id/deliveries', (req, res) => {
    const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
    const before = typeof req.query.before === 'string' ? req.query.before : undefined;
    const items = webhooks.deliveries(String(req.params.id), limit + 1, before);
    const page = items.slice(0, limit);
    res.json({ items: page, next: items.length > limit ? page[page.length - 1].id : null });
  });
  router.post('/webhooks/:id/deliveries/:deliveryId/redeliver', (req, res) => {
    res.status(202).json(webhooks.redeliver(String(req.params.id), String(req.params.deliveryId)));
  });
  return router;
}
