import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { principalOf } from './auth';
import { maskSecretPath } from './secret-path';

const tokenName = (req: Request): string | undefined => {
  try {
    return principalOf(req).name;
  } catch {
    return undefined;
  }
};

/**
 * The path as the client sent it. Not `req.path`: inside a router mounted at `/api/v1` Express strips the mount
 * point from it, and a response that finishes there would be logged without its prefix. The fast read path's
 * requests are bare Node requests (no `originalUrl`), answered before Express.
 */
const pathOf = (req: Request): string => maskSecretPath((req.originalUrl ?? req.url ?? '').split('?')[0]);

/** One line per request, naming the token's name — never the token (nor a trigger's, masked in its path). */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    const path = pathOf(req);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      logger.info({ method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10, token: tokenName(req) }, 'request');
    });
    next();
  };
}
