import { Router } from 'express';
import type { AuditOutcome } from '../../domain/audit/audit-record';
import type { AuditTrail } from '../../domain/audit/audit-trail';
import { DomainError } from '../../domain/errors';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The queryable audit trail (admin): newest first, filtered, one page at a time with an opaque cursor. */
export function auditRouter(trail: AuditTrail): Router {
  const router = Router();
  router.get('/audit', (req, res) => {
    const q = req.query;
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    let before: number | undefined;
    const cursor = str(q.cursor);
    if (cursor !== undefined) {
      before = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (!Number.isSafeInteger(before) || before < 1) throw new DomainError('invalid_request', 'cursor is not one this service returned');
    }
    const items = trail.query({
      from: str(q.since),
      to: str(q.until),
      token: str(q.token),
      operation: str(q.operation),
      target: str(q.target),
      outcome: str(q.outcome) as AuditOutcome | undefined,
      before,
      limit: limit + 1,
    });
    const page = items.slice(0, limit);
    const next = items.length > limit ? Buffer.from(String(page[page.length - 1].id)).toString('base64url') : null;
    res.json({ items: page, next });
  });
  return router;
}
