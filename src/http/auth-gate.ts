import type { RequestHandler } from 'express';
import { DomainError } from '../domain/errors';
import { isRole, roleAllows, type Role } from '../domain/auth/roles';
import type { TokenVerifier } from '../domain/auth/tokens';
import { identify } from './auth';
import { templateSource } from './route-template';

type Json = Record<string, unknown>;

interface GatedOperation {
  operationId: string;
  /** The contract's template, as metrics and the audit trail name it. */
  route: string;
  names: string[];
  method: string;
  regexp: RegExp;
  role: Role;
  /** Fewer path parameters first: `/images/search` is tried before `/images/{ref}`. */
  params: number;
}

/**
 * Every operation of the contract that asks for a bearer token, with the least role it needs; and (role `null`) those
 * under /api/v1 whose `security` is explicitly empty (`[]`), which need none (an inbound trigger's call).
 */
function gatedOperations(contract: Json): { gated: GatedOperation[]; open: RegExp[] } {
  const ops: GatedOperation[] = [];
  const open: RegExp[] = [];
  for (const [route, item] of Object.entries(contract.paths as Record<string, Record<string, Json>>)) {
    const { source, names } = templateSource(route);
    // As Express routes them: any case, one trailing slash allowed.
    const regexp = new RegExp(`^${source}/?$`, 'i');
    for (const [method, op] of Object.entries(item)) {
      if (Array.isArray(op?.security) && op.security.length === 0 && route.startsWith('/api/v1/')) {
        open.push(new RegExp(`^${method.toUpperCase()} ${source}/?$`, 'i'));
        continue;
      }
      const scope = ((op?.security as Record<string, string[]>[] | undefined)?.[0]?.bearerAuth ?? []).find(isRole);
      if (scope)
        ops.push({ operationId: String(op.operationId), route, names, method: method.toUpperCase(), regexp, role: scope, params: names.length });
    }
  }
  return { gated: ops.sort((a, b) => a.params - b.params), open };
}

function pathParams(op: GatedOperation, path: string): Record<string, string> {
  const m = op.regexp.exec(path);
  const params: Record<string, string> = {};
  op.names.forEach((name, i) => {
    try {
      params[name] = decodeURIComponent(m?.[i + 1] ?? '');
    } catch {
      params[name] = m?.[i + 1] ?? '';
    }
  });
  return params;
}

/**
 * Authentication and authorization before anything reads the request body: a request without a valid token for
 * an operation that needs one — or for anything under /api/v1 — is answered 401 (403 below the operation's role)
 * from its headers alone, and its body is never parsed. The contract validator checks the same again later; this
 * only makes sure nobody unauthenticated gets the body parser's work (or its memory).
 */
export function authGate(verifier: TokenVerifier, contract: Json): RequestHandler {
  const { gated: ops, open } = gatedOperations(contract);
  return (req, res, next) => {
    const path = req.path;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const op = ops.find((o) => o.method === method && o.regexp.test(path));
    if (!op && open.some((o) => o.test(`${method} ${path}`))) return next();
    if (!op && !/^\/api\/v1(\/|$)/i.test(path)) return next();
    const principal = identify(verifier, req);
    const refuse = (err: DomainError) => {
      // The refusal is the operation's, as the validator would name it, for the metrics and the audit trail.
      if (op)
        (req as { openapi?: unknown }).openapi = {
          openApiRoute: op.route,
          schema: { operationId: op.operationId },
          pathParams: pathParams(op, path),
        };
      // An unread body is not drained: the connection closes after the answer.
      res.setHeader('Connection', 'close');
      next(err);
    };
    if (!principal) return refuse(new DomainError('unauthorized', 'a valid bearer token is required'));
    if (op && !roleAllows(principal.role, op.role)) {
      return refuse(new DomainError('forbidden', `this operation needs the ${op.role} role; token "${principal.name}" has ${principal.role}`));
    }
    next();
  };
}
