import { randomBytes } from 'node:crypto';
import { DomainError } from '../errors';
import type { Principal } from './tokens';
import { RateLimiter } from '../limits/rate-limiter';

export interface WsTicket {
  ticket: string;
  expiresAt: string;
}

/**
 * Short-lived, single-use tickets for browsers, which cannot set an Authorization header on a WebSocket:
 * a page asks `POST /api/v1/ws-tickets` with its token and puts the ticket in the WebSocket URL. A ticket
 * in a URL may end up in a log, so it is worth nothing after one use or `ttlMs`.
 */
export interface WsTicketLimits {
  ttlMs: number;
  /** Unused tickets in all: the pool every browser draws on. */
  maxTickets: number;
  /** Unused tickets one token may hold (0: no cap), so one token cannot drain the pool for everyone else. */
  perToken: number;
  /** Tickets one token may be issued a minute (0: no limit). */
  perMinute: number;
}

export const DEFAULT_TICKET_LIMITS: WsTicketLimits = { ttlMs: 30000, maxTickets: 10000, perToken: 32, perMinute: 120 };

export class WsTicketStore {
  private readonly tickets = new Map<string, { principal: Principal; expires: number }>();
  /** Unused, unexpired tickets per token name. */
  private readonly held = new Map<string, number>();
  private readonly rate: RateLimiter;
  private readonly limits: WsTicketLimits;

  constructor(limits: Partial<WsTicketLimits> = {}) {
    this.limits = { ...DEFAULT_TICKET_LIMITS, ...limits };
    this.rate = new RateLimiter('ws_tickets', this.limits.perMinute);
  }

  issue(principal: Principal): WsTicket {
    const { perToken, maxTickets, ttlMs } = this.limits;
    if (perToken > 0 && (this.held.get(principal.name) ?? 0) >= perToken) this.sweep();
    const mine = this.held.get(principal.name) ?? 0;
    if (perToken > 0 && mine >= perToken) {
      throw new DomainError(
        'rate_limited',
        `token "${principal.name}" holds ${mine} unused WebSocket tickets (at most ${perToken}); use or let them expire`,
        {
          retryAfterSeconds: Math.ceil(ttlMs / 1000),
          limit: 'ws_tickets_per_token',
        },
      );
    }
    this.rate.take(principal.name);
    if (this.tickets.size >= maxTickets) this.sweep();
    if (this.tickets.size >= maxTickets) {
      throw new DomainError('rate_limited', 'too many unused WebSocket tickets; retry shortly', { retryAfterSeconds: Math.ceil(ttlMs / 1000) });
    }
    const ticket = randomBytes(32).toString('base64url');
    const expires = Date.now() + ttlMs;
    this.tickets.set(ticket, { principal, expires });
    this.held.set(principal.name, mine + 1);
    return { ticket, expiresAt: new Date(expires).toISOString() };
  }

  /** The principal the ticket was issued to, once; undefined when unknown, used or expired. */
  redeem(ticket: string | undefined): Principal | undefined {
    if (!ticket) return undefined;
    const entry = this.tickets.get(ticket);
    if (!entry) return undefined;
    this.drop(ticket, entry.principal);
    return entry.expires > Date.now() ? entry.principal : undefined;
  }

  private drop(ticket: string, principal: Principal): void {
    this.tickets.delete(ticket);
    const n = (this.held.get(principal.name) ?? 1) - 1;
    if (n <= 0) this.held.delete(principal.name);
    else this.held.set(principal.name, n);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [t, e] of this.tickets) if (e.expires <= now) this.drop(t, e.principal);
  }
}
