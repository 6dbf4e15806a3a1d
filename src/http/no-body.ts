import type { RequestHandler } from 'express';
import { DomainError } from '../domain/errors';

interface ValidatedRequest {
  // The validator resolves a missing requestBody to null.
  openapi?: { schema?: { requestBody?: unknown } };
}

/** True when the request carries body bytes: a non-zero Content-Length, or any chunked body. */
export function carriesBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return headers['transfer-encoding'] !== undefined;
}

/**
 * A body sent to an operation whose contract takes none is refused (400 `unexpected_body`), never ignored:
 * `POST …/kill {"signal":"SIGHUP"}` must not answer 200 and send the default SIGKILL. Runs after the contract
 * validator, which has matched the operation (`req.openapi.schema`) and checked the token.
 */
export const refuseUnexpectedBody: RequestHandler = (req, _res, next) => {
  const op = (req as ValidatedRequest).openapi?.schema;
  if (op && op.requestBody == null && carriesBody(req.headers)) {
    return next(
      new DomainError(
        'unexpected_body',
        `${req.method} ${(req.originalUrl ?? req.url).split('?')[0]} takes no request body; its parameters go in the query string`,
      ),
    );
  }
  next();
};
