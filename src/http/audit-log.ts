import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { auditTarget } from '../audit/audit-logger';
import { principalOf } from './auth';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface OpenApiMeta {
  openapi?: { schema?: { operationId?: string }; pathParams?: Record<string, unknown> };
}

const tokenName = (req: Request): string | null => {
  try {
    return principalOf(req).name;
  } catch {
    return null; // refused before a token was recognised
  }
};

/** What the call acted on: its path identifiers, else the object a create names. Bounded; pino escapes it. */
function targetOf(req: Request): string | null {
  const params = Object.values((req as OpenApiMeta).openapi?.pathParams ?? {}).map(String);
  if (params.length > 0) return auditTarget(params.join(' '));
  const body = req.body as Record<string, unknown> | undefined;
  for (const k of ['image', 'name', 'serverAddress']) {
    if (body && typeof body === 'object' && typeof body[k] === 'string') return auditTarget(body[k]);
  }
  return null;
}

/**
 * One audit line per mutating call that matched a contract operation, whatever its outcome (refusals included):
 * who (token name, never the token), what (operation id), on what (target) and how it ended (HTTP status).
 */
export function auditTrail(audit: Logger): RequestHandler {
  return (req, res, next) => {
    if (!MUTATING.has(req.method)) return next();
    res.on('finish', () => {
      const operation = (req as OpenApiMeta).openapi?.schema?.operationId;
      if (!operation) return;
      audit.info({ token: tokenName(req), operation, target: targetOf(req), status: res.statusCode }, 'audit');
    });
    next();
  };
}
