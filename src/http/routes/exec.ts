import { Router } from 'express';
import type { ExecRequest } from '../../domain/terminal/exec-spec';
import { EXEC_RUN_DEFAULTS, type TerminalService } from '../../domain/terminal/exec-service';
import { principalOf } from '../auth';
import { queryBool, queryInt } from '../query';

/**
 * Exec (admin). Without `wait`, the exec is created with stdin and started by the WebSocket `exec` channel;
 * with `wait=true` it runs now and the answer carries its exit code and bounded output.
 */
export function execRouter(terminals: TerminalService): Router {
  const router = Router();

  router.post('/containers/:id/exec', async (req, res) => {
    const body = req.body as ExecRequest;
    const by = principalOf(req);
    if (queryBool(req.query.wait) === true) {
      const seconds = queryInt(req.query.timeout);
      const timeoutMs = seconds === undefined ? EXEC_RUN_DEFAULTS.timeoutMs : seconds * 1000;
      res.json(await terminals.runExec(String(req.params.id), body, by, { ...EXEC_RUN_DEFAULTS, timeoutMs }));
      return;
    }
    const info = await terminals.createExec(String(req.params.id), body, by);
    res.status(201).location(`/api/v1/exec/${info.execId}`).json(info);
  });

  router.get('/exec/:execId', async (req, res) => {
    res.json(await terminals.inspectExec(String(req.params.execId)));
  });

  return router;
}
