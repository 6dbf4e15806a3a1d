import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { principalOf } from './auth';

const tokenName = (req: Request): string | undefined => {
  try {
    return principalOf(req).name;
  } catch {
    return undefined;
  }
};

/** Express's `req.path`; the fast read path's requests are bare Node requests, answered before Express. */
const pathOf = (req: Request): string => req.path ?? (req.url ?? '').split('?')[0];

/** One line per request, naming the token's name — never the token. */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      logger.info(
        { method: req.method, path: pathOf(req), status: res.statusCode, ms: Math.round(ms * 10) / 10, token: tokenName(req) },
        'request',
      );
    });
    next();
  };
}
