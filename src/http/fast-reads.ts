import type { NextFunction, Request, RequestHandler, Response } from 'express';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { TokenVerifier } from '../domain/auth/tokens';
import { isRole, type Role } from '../domain/auth/roles';
import { admit } from './auth';

type Json = Record<string, unknown>;

interface ContractParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Json;
}

interface FastOperation {
  operationId: string;
  /** The contract's template, e.g. `/api/v1/images/{ref}`: what metrics and the coverage recorder report. */
  route: string;
  regexp: RegExp;
  /** Other contract paths a request on this one's template may also match (`/images/search` for `/images/{ref}`). */
  others: RegExp[];
  pathNames: string[];
  role: Role;
  /** Path, query and header values against the contract's parameter schemas, coerced as the validator does. */
  checkRequest: () => ValidateFunction;
  /** The 200 answer against the contract (only when responses are validated, i.e. in tests). */
  checkAnswer?: () => ValidateFunction;
  headerNames: string[];
  handler: RequestHandler;
  operation: Json;
}

/** Follows the contract's local `$ref`s (the contract has no recursive schemas; a loop stops at the depth bound). */
function deref(doc: Json, node: unknown, depth = 0): unknown {
  if (depth > 64) throw new Error('contract $ref nesting too deep');
  if (Array.isArray(node)) return node.map((n) => deref(doc, n, depth + 1));
  if (!node || typeof node !== 'object') return node;
  const { $ref, ...rest } = node as Json;
  if (typeof $ref === 'string' && $ref.startsWith('#/')) {
    const target = $ref
      .slice(2)
      .split('/')
      .reduce<unknown>((at, key) => (at as Json)[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    return { ...(deref(doc, target, depth + 1) as Json), ...(deref(doc, rest, depth + 1) as Json) };
  }
  return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, deref(doc, v, depth + 1)]));
}

function objectOf(params: ContractParameter[], key: (p: ContractParameter) => string, closed: boolean): Json {
  return {
    type: 'object',
    properties: Object.fromEntries(params.map((p) => [key(p), p.schema ?? {}])),
    required: params.filter((p) => p.required).map(key),
    additionalProperties: !closed,
  };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A contract path template as a regular expression, and the names of its parameters. */
function templateRegExp(route: string): { regexp: RegExp; names: string[] } {
  const names: string[] = [];
  const source = route
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{(.+)\}$/.exec(part);
      if (!m) return escapeRegExp(part);
      names.push(m[1]);
      return '([^/]+)';
    })
    .join('');
  return { regexp: new RegExp(`^${source}$`), names };
}

/** Made on first use: compiling the schemas took ~40 ms of start-up. */
function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

function compileOperation(doc: Json, ajv: () => Ajv2020, operationId: string, handler: RequestHandler, validateResponses: boolean): FastOperation {
  for (const [route, item] of Object.entries(doc.paths as Record<string, Json>)) {
    const op = item.get as Json | undefined;
    if (op?.operationId !== operationId) continue;
    const params = deref(doc, [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])]) as ContractParameter[];
    const scope = ((op.security as Record<string, string[]>[] | undefined)?.[0]?.bearerAuth ?? []).find(isRole);
    if (!scope) throw new Error(`fast read ${operationId}: no bearerAuth role in the contract`);
    const { regexp, names: pathNames } = templateRegExp(route);
    const segments = route.split('/').length;
    const others = Object.keys(doc.paths as Json)
      .filter((other) => other !== route && other.split('/').length === segments)
      .map((other) => templateRegExp(other).regexp);
    const headers = params.filter((p) => p.in === 'header');
    const answer = deref(doc, ((op.responses as Json)['200'] as Json | undefined)?.content) as Record<string, { schema?: Json }> | undefined;
    return {
      operationId,
      route,
      regexp,
      others,
      pathNames,
      role: scope,
      checkRequest: lazy(() =>
        ajv().compile({
          type: 'object',
          properties: {
            path: objectOf(params.filter((p) => p.in === 'path'), (p) => p.name, true),
            // Unknown query parameters are refused by the validator: here they send the request down the full path.
            query: objectOf(params.filter((p) => p.in === 'query'), (p) => p.name, true),
            headers: objectOf(headers, (p) => p.name.toLowerCase(), false),
          },
        }),
      ),
      checkAnswer: validateResponses && answer?.['application/json']?.schema ? lazy(() => ajv().compile(answer['application/json'].schema!)) : undefined,
      headerNames: headers.map((p) => p.name.toLowerCase()),
      handler,
      operation: op,
    };
  }
  throw new Error(`fast read ${operationId}: no such GET operation in the contract`);
}

/** `?a=1&a=2&b=x` as the query parser gives it: repeated names become arrays. Undefined for anything else. */
function parseQuery(url: string): Record<string, string | string[]> | undefined {
  const i = url.indexOf('?');
  const query: Record<string, string | string[]> = {};
  if (i < 0) return query;
  for (const [k, v] of new URLSearchParams(url.slice(i + 1))) {
    if (k === '__proto__' || k.includes('[')) return undefined;
    const had = query[k];
    query[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return query;
}

/** What the contract validator would accept, or undefined: then the request takes the full path. */
function accept(op: FastOperation, req: Request, match: RegExpExecArray): { params: Record<string, string> } | undefined {
  const path: Record<string, string> = {};
  try {
    op.pathNames.forEach((name, i) => (path[name] = decodeURIComponent(match[i + 1])));
  } catch {
    return undefined;
  }
  const query = parseQuery(req.url);
  if (!query) return undefined;
  const headers: Record<string, string> = {};
  for (const name of op.headerNames) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
    else if (v !== undefined) return undefined;
  }
  if (!op.checkRequest()({ path, query, headers })) return undefined;
  return { params: path };
}

export interface FastReadOptions {
  verifier: TokenVerifier;
  /** The handlers of the operations to serve this way, by contract operationId (GET operations only). */
  handlers: Record<string, RequestHandler>;
  contract: Json;
  /** Check each 200 answer against the contract, as the validator does for the rest (tests). */
  validateResponses: boolean;
}

/**
 * The hot reads — image inspect, the image and container lists: what consoles and pollers ask many times a
 * second — go from here straight to their handlers, without the router walk and the contract validator's
 * per-request work (~150 µs of CPU per request in a profile; the answer itself often comes from a read cache).
 *
 * Nothing is refused here. A request is taken only when it is plainly valid: a GET on the operation's path, a
 * token whose role the contract's scope allows, and path, query and header values that the contract's own
 * parameter schemas accept (compiled from openapi.yaml, with the validator's coercion). Anything else — no token,
 * a bad value, an unknown parameter, a case or slash the template does not spell — goes on down the full path,
 * which answers it exactly as before. The handler is the very one the router mounts, so its answers and its
 * errors (through the one error handler) are the same; the access log, metrics and audit middlewares ran before.
 */
export function fastReads(opts: FastReadOptions): RequestHandler {
  const ajv = lazy(() => {
    const a = new Ajv2020({ coerceTypes: 'array', strict: false, allErrors: false, validateFormats: true });
    addFormats(a, { mode: 'fast' });
    return a;
  });
  const ops = Object.entries(opts.handlers).map(([id, handler]) => compileOperation(opts.contract, ajv, id, handler, opts.validateResponses));
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET') return next();
    const path = req.path;
    for (const op of ops) {
      const match = op.regexp.exec(path);
      if (!match) continue;
      // The router and the validator may pick another operation for this path: theirs to answer.
      if (op.others.some((r) => r.test(path))) return next();
      const accepted = accept(op, req, match);
      if (!accepted || !admit(opts.verifier, req, op.role)) return next();
      req.params = accepted.params;
      (req as { openapi?: unknown }).openapi = { openApiRoute: op.route, expressRoute: path, pathParams: accepted.params, schema: op.operation };
      if (op.checkAnswer) checkAnswers(op, op.checkAnswer(), res, next);
      return void Promise.resolve(op.handler(req, res, next)).catch(next);
    }
    next();
  };
}

/** Responses validated as the contract validator does for the full path: a mismatch is a 500 (tests). */
function checkAnswers(op: FastOperation, check: ValidateFunction, res: Response, next: NextFunction): void {
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    if (res.statusCode === 200 && !check(body)) {
      next(new Error(`${op.operationId}: response does not match the contract: ${JSON.stringify(check.errors)}`));
      return res;
    }
    return json(body);
  };
}
