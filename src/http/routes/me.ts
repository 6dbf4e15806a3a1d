import { Router } from 'express';
import { principalOf } from '../auth';

/** Who the token is: what a client (the web console) shows and uses to offer only what the role allows. */
export function meRouter(): Router {
  const router = Router();
  router.get('/me', (req, res) => {
    const { name, role } = principalOf(req);
    res.json({ name, role });
  });
  return router;
}
