import { randomBytes } from 'node:crypto';
import { DomainError } from '../errors';
import type { Principal } from './tokens';

export interface WsTicket {
  ticket: string;
  expiresAt: string;
}

/**
 * Short-lived, single-use tickets for browsers, which cannot set an Authorization header on a WebSocket:
 * a page asks `POST /api/v1/ws-tickets` with its token and puts the ticket in the WebSocket URL. A ticket
 * in a URL may end up in a log, so it is worth nothing after one use or `ttlMs`.
 */
export class WsTicketStore {
  private readonly tickets = new Map<string, { principal: Principal; expires: number }>();

  constructor(
    private readonly ttlMs = 30000,
    private readonly maxTickets = 10000,
  ) {}

  issue(principal: Principal): WsTicket {
    if (this.tickets.size >= this.maxTickets) this.sweep();
    if (this.tickets.size >= this.maxTickets) {
      throw new DomainError('rate_limited', 'too many unused WebSocket tickets; retry shortly', { retryAfterSeconds: Math.ceil(this.ttlMs / 1000) });
    }
    const ticket = randomBytes(32).toString('base64url');
    const expires = Date.now() + this.ttlMs;
    this.tickets.set(ticket, { principal, expires });
    return { ticket, expiresAt: new Date(expires).toISOString() };
  }

  /** The principal the ticket was issued to, once; undefined when unknown, used or expired. */
  redeem(ticket: string | undefined): Principal | undefined {
    if (!ticket) return undefined;
    const entry = this.tickets.get(ticket);
    if (!entry) return undefined;
    this.tickets.delete(ticket);
    return entry.expires > Date.now() ? entry.principal : undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [t, e] of this.tickets) if (e.expires <= now) this.tickets.delete(t);
  }
}
