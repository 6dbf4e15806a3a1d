import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fresh from 'fresh';
import type { Logger } from 'pino';
import type { TokenVerifier } from '../domain/auth/tokens';
import { isRole, type Role } from '../domain/auth/roles';
import { admit } from './auth';
import { DEFAULT_ENGINE, mayUse } from '../domain/engines/engine-directory';
import { encodeAnswer, type ReadAnswer, type ReadOperation } from './json-answer';
import { logFailure, problemOf, toProblemError } from './problem';
import { carriesBody } from './no-body';
import { templateSource } from './route-template';

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
  read: ReadOperation;
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

/** A contract path template as a regular expression, and the names of its parameters. */
function templateRegExp(route: string): { regexp: RegExp; names: string[] } {
  const { source, names } = templateSource(route);
  return { regexp: new RegExp(`^${source}$`), names };
}

/** Made on first use: building the ajv instance and the validators took ~48 ms of start-up (timed in-process). */
function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

function compileOperation(doc: Json, ajv: () => Ajv2020, operationId: string, read: ReadOperation, validateResponses: boolean): FastOperation {
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
    const answerSchema = () =>
      (deref(doc, ((op.responses as Json)['200'] as Json | undefined)?.content) as Record<string, { schema?: Json }> | undefined)?.[
        'application/json'
      ]?.schema ?? {};
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
            path: objectOf(
              params.filter((p) => p.in === 'path'),
              (p) => p.name,
              true,
            ),
            // Unknown query parameters are refused by the validator: here they send the request down the full path.
            query: objectOf(
              params.filter((p) => p.in === 'query'),
              (p) => p.name,
              true,
            ),
            headers: objectOf(headers, (p) => p.name.toLowerCase(), false),
          },
        }),
      ),
      checkAnswer: validateResponses ? lazy(() => ajv().compile(answerSchema())) : undefined,
      headerNames: headers.map((p) => p.name.toLowerCase()),
      read,
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
function accept(
  op: FastOperation,
  req: IncomingMessage,
  match: RegExpExecArray,
): { params: Record<string, string>; query: Record<string, unknown> } | undefined {
  const path: Record<string, string> = {};
  try {
    op.pathNames.forEach((name, i) => (path[name] = decodeURIComponent(match[i + 1])));
  } catch {
    return undefined;
  }
  const query = parseQuery(req.url ?? '');
  if (!query) return undefined;
  const headers: Record<string, string> = {};
  for (const name of op.headerNames) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
    else if (v !== undefined) return undefined;
  }
  if (!op.checkRequest()({ path, query, headers })) return undefined;
  return { params: path, query };
}

export interface FastReadOptions {
  verifier: TokenVerifier;
  /** The operations to serve this way, by contract operationId (GET operations only). */
  operations: Record<string, ReadOperation>;
  contract: Json;
  /** Check each 200 answer against the contract, as the validator does for the rest (tests). */
  validateResponses: boolean;
  /**
   * What the full path runs first for every request — the access log, the metrics, the coverage recorder — run
   * here too for each request taken. They only watch the response finish, so they work on the bare request.
   */
  observers: RequestHandler[];
  logger: Logger;
}

export interface FastReads {
  /** Answers the request and returns true, or returns false having touched nothing: the full path's then. */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * The hot reads — image inspect, the image and container lists: what consoles and pollers ask many times a
 * second — answered at the HTTP server, before Express. Express's own entry (request set-up, the router walk,
 * the contract validator's per-request work) cost more CPU than the rest of such a request: ~6,000 against
 * ~10,500 requests/s for an answer ended at once in the first middleware versus at the server (ab -c 50).
 *
 * Nothing is refused here. A request is taken only when it is plainly valid: a GET on the operation's own path
 * (no other contract path matches it), a token whose role the contract's scope allows, and path, query and
 * header values that the contract's own parameter schemas accept (compiled from openapi.yaml, with the
 * validator's coercion). Anything else — no token, a bad value, an unknown parameter, a case or slash the
 * template does not spell, HEAD — goes to Express, which answers it exactly as before. The operation is the very
 * one the router mounts; a failure is answered with the same problem document and logged the same way, and a
 * 200 carries the same headers (type, ETag, 304 on If-None-Match) as Express gives.
 */
export function fastReads(opts: FastReadOptions): FastReads {
  const ajv = lazy(() => {
    const a = new Ajv2020({ coerceTypes: 'array', strict: false, allErrors: false, validateFormats: true });
    addFormats(a, { mode: 'fast' });
    return a;
  });
  const ops = Object.entries(opts.operations).map(([id, op]) => compileOperation(opts.contract, ajv, id, op, opts.validateResponses));
  const noop = () => undefined;
  return {
    serve(req, res) {
      // A GET with a body is refused by the Express path (400 unexpected_body): not plainly valid.
      if (req.method !== 'GET' || carriesBody(req.headers)) return false;
      const url = req.url ?? '';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      for (const op of ops) {
        const match = op.regexp.exec(path);
        if (!match) continue;
        // The router and the validator may pick another operation for this path: theirs to answer.
        if (op.others.some((r) => r.test(path))) return false;
        const accepted = accept(op, req, match);
        const principal = accepted && admit(opts.verifier, req as Request, op.role);
        // A token limited to other engines gets its 404 engine_not_found from the full path.
        if (!accepted || !principal || !mayUse(principal, DEFAULT_ENGINE)) return false;
        (req as { openapi?: unknown }).openapi = { openApiRoute: op.route, expressRoute: path, pathParams: accepted.params, schema: op.operation };
        for (const observe of opts.observers) observe(req as Request, res as Response, noop);
        const header = (name: string) => {
          const v = req.headers[name.toLowerCase()];
          return Array.isArray(v) ? v.join(', ') : v;
        };
        op.read({ role: principal.role, params: accepted.params, query: accepted.query, header })
          .then((answer) => answerWith(op, req, res, answer, opts.logger))
          .catch((err: unknown) => failWith(req, res, err, opts.logger))
          .catch((err: unknown) => {
            opts.logger.error({ err }, 'fast read could not answer');
            res.destroy();
          });
        return true;
      }
      return false;
    },
  };
}

/** A 200 as Express sends it: JSON with its charset, the weak ETag, and 304 without a body when the client has it. */
function answerWith(op: FastOperation, req: IncomingMessage, res: ServerResponse, answer: ReadAnswer, logger: Logger): void {
  const check = op.checkAnswer?.();
  if (check && !check(answer.items ? { items: answer.value } : answer.value)) {
    return failWith(req, res, new Error(`${op.operationId}: response does not match the contract: ${JSON.stringify(check.errors)}`), logger);
  }
  const { json, etag } = encodeAnswer(answer.value, answer.items ? { items: true } : {});
  res.setHeader('ETag', etag);
  if (fresh(req.headers, { etag })) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

/** A failure as the full path's error handler answers and logs it. */
function failWith(req: IncomingMessage, res: ServerResponse, err: unknown, logger: Logger): void {
  const problem = toProblemError(err);
  const path = (req.url ?? '').split('?')[0];
  logFailure(logger, err, problem, req.method ?? 'GET', path);
  if (res.headersSent) return;
  const { status, headers, body } = problemOf(problem, path);
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/problem+json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
