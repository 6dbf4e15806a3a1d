import { Router } from 'express';
import type { NewRegistry, RegistryService } from '../../domain/registries/registry-service';

/** Stored registry logins. No answer ever carries a password or token: the service returns records without them. */
export function registryRouter(registries: RegistryService): Router {
  const router = Router();
  router.get('/registries', async (_req, res) => {
    res.json({ items: await registries.list() });
  });
  router.post('/registries', async (req, res) => {
    const record = await registries.add(req.body as NewRegistry);
    res.status(201).location(`/api/v1/registries/${record.id}`).json(record);
  });
  router.get('/registries/:id', async (req, res) => {
    res.json(await registries.get(req.params.id));
  });
  router.delete('/registries/:id', async (req, res) => {
    await registries.remove(req.params.id);
    res.status(204).end();
  });
  return router;
}
