import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, isDomainError, type ErrorCode } from '../domain/errors';
import { maskSecretPath } from './secret-path';

/** The one table that turns a domain error code into an HTTP status. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_reference: 400,
  invalid_identifier: 400,
  bind_path_escapes: 400,
  unexpected_body: 400,
  unauthorized: 401,
  forbidden: 403,
  policy_denied: 403,
  registry_not_allowed: 403,
  not_found: 404,
  route_not_found: 404,
  image_not_found: 404,
  engine_not_found: 404,
  container_not_found: 404,
  job_not_found: 404,
  registry_not_found: 404,
  exec_not_found: 404,
  node_not_found: 404,
  service_not_found: 404,
  task_not_found: 404,
  method_not_allowed: 405,
  image_in_use: 409,
  container_running: 409,
  container_not_running: 409,
  container_paused: 409,
  name_conflict: 409,
  port_conflict: 409,
  conflict: 409,
  swarm_inactive: 409,
  not_swarm_manager: 409,
  swarm_already_active: 409,
  swarm_last_manager: 409,
  version_conflict: 409,
  update_rolled_back: 409,
  update_paused: 409,
  idempotency_in_progress: 409,
  resync_required: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_mismatch: 422,
  rate_limited: 429,
  internal_error: 500,
  engine_error: 502,
  registry_unreachable: 502,
  registry_auth_failed: 502,
  engine_unavailable: 503,
  shutting_down: 503,
  engine_timeout: 504,
};

const TITLES: Partial<Record<ErrorCode, string>> = {
  invalid_request: 'The request is invalid',
  unauthorized: 'A valid bearer token is required',
  forbidden: "The token's role does not allow this",
  policy_denied: "This service's policy does not allow this",
  unexpected_body: 'This operation takes no request body',
  route_not_found: 'No such route',
  engine_unavailable: 'The Docker engine cannot be reached',
  internal_error: 'Internal error',
};

/** Anything not in the table, or mapped below 400, is a 500: a bug, not a client error. */
export function statusFor(code: ErrorCode): number {
  const s = STATUS_BY_CODE[code];
  return s !== undefined && s >= 400 ? s : 500;
}

export interface FieldError {
  path: string;
  message: string;
}

/** The RFC 9457 answer to a domain error: its status, the headers that go with it, and the document. */
export function problemOf(err: DomainError, instance?: string): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const status = statusFor(err.code);
  const headers: Record<string, string> = {};
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="dockhand"';
  const retryAfter = err.details?.retryAfterSeconds;
  if (status === 429 && typeof retryAfter === 'number') headers['Retry-After'] = String(retryAfter);
  const body = {
    type: `urn:dockhand:problem:${err.code}`,
    title: TITLES[err.code] ?? err.code.replace(/_/g, ' '),
    status,
    detail: err.message,
    ...(instance ? { instance } : {}),
    code: err.code,
    ...(err.details ?? {}),
  };
  return { status, headers, body };
}

export function sendProblem(res: Response, err: DomainError, instance?: string): void {
  if (res.headersSent) return;
  const problem = problemOf(err, instance);
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.status(problem.status).type('application/problem+json').json(problem.body);
}

/** What reaches the log of a failed request: server-side failures (5xx) only, with the error behind them. */
export function logFailure(logger: Logger, err: unknown, problem: DomainError, method: string, path: string): void {
  if (statusFor(problem.code) >= 500) logger.error({ err, code: problem.code, method, path }, 'request failed');
}

/** express-openapi-validator's errors: a status plus per-field entries. */
interface ValidatorError {
  status?: number;
  statusCode?: number;
  type?: string;
  message?: string;
  errors?: { path?: string; message?: string; errorCode?: string }[];
}

const VALIDATOR_CODES: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'route_not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** `/body/image` → `body.image`, `/query/tail` → `query.tail`. */
const fieldPath = (p: string | undefined): string =>
  (p ?? '')
    .replace(/^\.?\/?/, '')
    .replace(/\//g, '.')
    .replace(/^request\./, '');

/** The validator's words for a missing body ("body must have required property 'body'"), said plainly. */
function plainWords(e: FieldError): FieldError {
  if (e.path === 'body' && /required property 'body'/.test(e.message)) {
    return { path: 'body', message: 'is missing: this operation needs a JSON body' };
  }
  return e;
}

/** Turns what the validator, the body parser or a handler threw into a DomainError. */
export function toProblemError(err: unknown): DomainError {
  if (isDomainError(err)) return err;
  const e = err as ValidatorError;
  const status = e?.status ?? e?.statusCode;
  if (e?.type === 'entity.too.large') return new DomainError('payload_too_large', 'the request body is larger than allowed');
  if (e?.type === 'entity.parse.failed') return new DomainError('invalid_request', 'the request body is not valid JSON');
  if (typeof status === 'number' && VALIDATOR_CODES[status]) {
    const code = VALIDATOR_CODES[status];
    if (code === 'invalid_request' && Array.isArray(e.errors) && e.errors.length > 0) {
      const errors: FieldError[] = e.errors.map((x) => plainWords({ path: fieldPath(x.path), message: x.message ?? 'is invalid' }));
      const detail = errors.map((x) => `${x.path} ${x.message}`).join('; ');
      return new DomainError('invalid_request', detail, { errors });
    }
    if (code === 'unsupported_media_type' && /undefined$/.test(e.message ?? '')) {
      return new DomainError(code, 'this operation needs a JSON body, sent with Content-Type: application/json');
    }
    return new DomainError(code, e.message ?? code);
  }
  return new DomainError('internal_error', 'an unexpected error occurred');
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const problem = toProblemError(err);
    logFailure(logger, err, problem, req.method, maskSecretPath(req.originalUrl.split('?')[0]));
    sendProblem(res, problem, maskSecretPath(req.originalUrl.split('?')[0]));
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new DomainError('route_not_found', `no route ${req.method} ${req.path}`));
};
