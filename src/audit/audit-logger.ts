import type { Logger } from 'pino';

/**
 * The audit trail: a child of the service logger whose lines carry `log: "audit"`, so a log pipeline can route them
 * apart. One line per mutating REST call and per WebSocket subscription: token name (never the token), operation,
 * target and result.
 */
export const auditLogger = (logger: Logger): Logger => logger.child({ log: 'audit' });

const MAX_TARGET = 256;

/** A target as logged: bounded (pino escapes control characters itself). */
export const auditTarget = (v: string | null | undefined): string | null => (typeof v === 'string' ? v.slice(0, MAX_TARGET) : null);
