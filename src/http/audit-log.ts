import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { auditTarget } from '../audit/audit-logger';
import { outcomeOf } from '../domain/audit/audit-record';
import type { AuditTrail } from '../domain/audit/audit-trail';
import type { Principal } from '../domain/auth/tokens';
import { principalOf } from './auth';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface OpenApiMeta {
  openapi?: { schema?: { operationId?: string }; pathParams?: Record<string, unknown> };
}

const principal = (req: Request): Principal | null => {
  try {
    return principalOf(req);
  } catch {
    return null; // refused before a token was recognised
  }
};

/** What a route says its audit row should name instead of what the request shows (a trigger: never its token). */
export interface AuditOverride {
  token: string | null;
  target: string | null;
  requestId: string;
}

const OVERRIDE = Symbol('auditOverride');
type WithOverride = Response & { [OVERRIDE]?: AuditOverride };

export function setAuditOverride(res: Response, o: AuditOverride): void {
  (res as WithOverride)[OVERRIDE] = o;
}

/** What the call acted on: its path identifiers (a token never), else the object a create names. Bounded; pino escapes it. */
function targetOf(req: Request): string | null {
  const params = Object.entries((req as OpenApiMeta).openapi?.pathParams ?? {})
    .filter(([name]) => name !== 'token')
    .map(([, v]) => String(v));
  if (params.length > 0) return auditTarget(params.join(' '));
  const body = req.body as Record<string, unknown> | undefined;
  for (const k of ['image', 'name', 'serverAddress', 'container']) {
    if (body && typeof body === 'object' && typeof body[k] === 'string') return auditTarget(body[k]);
  }
  return null;
}

/** The caller's X-Request-Id when it is a plain short token, else one of our own. */
const requestIdOf = (req: Request): string => {
  const given = req.get('x-request-id');
  return given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
};

/**
 * One audit entry (a log line and a row of the queryable trail) per mutating call that matched a contract
 * operation, whatever its outcome (refusals included): who (token name and role, never the token), what (operation
 * id), on what (target), how it ended (outcome and HTTP status) and the request id.
 */
export function auditTrail(trail: AuditTrail): RequestHandler {
  return (req, res, next) => {
    if (!MUTATING.has(req.method)) return next();
    res.on('finish', () => {
      const operation = (req as OpenApiMeta).openapi?.schema?.operationId;
      if (!operation) return;
      const who = principal(req);
      const override = (res as WithOverride)[OVERRIDE];
      trail.record({
        token: override ? override.token : (who?.name ?? null),
        role: override ? null : (who?.role ?? null),
        engine: 'default',
        operation,
        target: override ? override.target : targetOf(req),
        outcome: outcomeOf(res.statusCode),
        status: res.statusCode,
        requestId: override ? override.requestId : requestIdOf(req),
      });
    });
    next();
  };
}
