import { countSends } from '../patches/third-party';
import type { AuditTrail } from '../domain/audit/audit-trail';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Role } from '../domain/auth/roles';
import { bearerToken, type Principal, type TokenVerifier } from '../domain/auth/tokens';
import type { WsTicketStore } from '../domain/auth/ws-tickets';
import { CLOSE, ClientConnection, DEFAULT_LIMITS, type ChannelRegistry, type ConnectionLimits, type SubscriptionGuard } from './connection';
import { SUBPROTOCOL } from './protocol';

export interface WsGatewayOptions {
  /** Largest client frame (bytes); a larger one closes the socket with 1009. */
  maxPayload: number;
  /** Ping period; a client that has not answered the previous ping by the next one is terminated. */
  heartbeatMs: number;
  limits: ConnectionLimits;
  /** Open connections one token may hold at once (0: no cap); beyond, the upgrade answers 429. */
  maxConnectionsPerToken: number;
}

export const DEFAULT_GATEWAY_OPTIONS: WsGatewayOptions = {
  maxPayload: 16 * 1024,
  heartbeatMs: 30000,
  limits: DEFAULT_LIMITS,
  maxConnectionsPerToken: 0,
};

/** Seconds a client refused for holding too many connections is told to wait (Retry-After). */
const CONNECTION_RETRY_AFTER_S = 5;

export interface WsGatewayDeps {
  verifier: TokenVerifier;
  tickets: WsTicketStore;
  /** Every origin a browser may connect from (ALLOWED_ORIGINS and the console's own); nothing else is trusted. */
  allowedOrigins: string[];
  channels: ChannelRegistry;
  logger: Logger;
  /** Caps on subscriptions across every connection (streams per token and in all, the log budget). */
  guard?: SubscriptionGuard;
  audit?: AuditTrail;
}

/** A token offered as a subprotocol, for browsers that can set nothing else: `bearer.<token>`. */
const PROTOCOL_TOKEN_PREFIX = 'bearer.';

const REASONS = { 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too Many Requests' } as const;

function reject(socket: Duplex, status: 401 | 403 | 429, code: string, detail: string, retryAfterSeconds?: number): void {
  const body = JSON.stringify({ type: `urn:dockhand:problem:${code}`, title: code.replace(/_/g, ' '), status, detail, code });
  const challenge = status === 401 ? 'WWW-Authenticate: Bearer realm="dockhand"\r\n' : '';
  const retry = retryAfterSeconds !== undefined ? `Retry-After: ${retryAfterSeconds}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n${challenge}${retry}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * The `/api/v1/ws` endpoint: checks Origin and credentials on the HTTP upgrade, before any WebSocket exists,
 * then hands each socket to a ClientConnection. One heartbeat timer serves every client.
 */
export class WsGateway {
  private readonly wss: WebSocketServer;
  private readonly clients = new Map<WebSocket, ClientConnection>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly opts: WsGatewayOptions;
  /** Open (or opening) connections per token name, for the per-token cap. */
  private readonly perToken = new Map<string, number>();
  /** Running totals for metrics. */
  readonly stats = { opened: 0, framesSent: 0, refused: 0 };
  private frameObserver: ((text: string) => void) | undefined;

  constructor(
    private readonly deps: WsGatewayDeps,
    opts: Partial<WsGatewayOptions> = {},
  ) {
    this.opts = { ...DEFAULT_GATEWAY_OPTIONS, ...opts, limits: { ...DEFAULT_LIMITS, ...opts.limits } };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.opts.maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
      // Echo only our own protocol name: a token offered as a subprotocol is never sent back.
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  /** The least role of each channel, as enforced on subscribe (the permission table is generated from this). */
  get channelRoles(): Record<string, Role> {
    return Object.fromEntries(Object.entries(this.deps.channels).map(([name, ch]) => [name, (ch as { role: Role }).role]));
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin)) {
      this.deps.logger.warn({ origin }, 'websocket upgrade from a foreign origin refused');
      this.stats.refused++;
      return reject(socket, 403, 'forbidden', `origin ${origin} is not allowed (ALLOWED_ORIGINS, PUBLIC_URL)`);
    }
    const principal = this.authenticate(req);
    if (!principal) {
      this.stats.refused++;
      return reject(socket, 401, 'unauthorized', 'a bearer token, a ticket (?ticket=) or a bearer.<token> subprotocol is required');
    }
    const held = this.perToken.get(principal.name) ?? 0;
    const cap = this.opts.maxConnectionsPerToken;
    if (cap > 0 && held >= cap) {
      this.stats.refused++;
      this.deps.logger.warn({ token: principal.name, held }, 'websocket upgrade refused: connections per token');
      return reject(
        socket,
        429,
        'rate_limited',
        `token "${principal.name}" already holds ${held} WebSocket connections (at most ${cap})`,
        CONNECTION_RETRY_AFTER_S,
      );
    }
    // Counted from the upgrade until the socket closes, whether or not the handshake completes.
    this.perToken.set(principal.name, held + 1);
    socket.once('close', () => {
      const n = (this.perToken.get(principal.name) ?? 1) - 1;
      if (n <= 0) this.perToken.delete(principal.name);
      else this.perToken.set(principal.name, n);
    });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, principal));
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const conn of this.clients.values()) conn.close(CLOSE.goingAway, 'server shutting down');
    const deadline = Date.now() + 1000;
    while (this.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of this.clients.values()) conn.terminate();
    this.clients.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  /** Hands every frame sent to connections opened from now on to `observer` too (tests validate them against asyncapi.yaml). */
  observeFrames(observer: (text: string) => void): void {
    this.frameObserver = observer;
  }

  private accept(ws: WebSocket, principal: Principal): void {
    this.stats.opened++;
    // Every frame to a client passes ws.send: counted here, not in each channel.
    countSends(ws, () => this.stats.framesSent++);
    const observe = this.frameObserver;
    const recordAudit = this.deps.audit
      ? (r: { operation: string; target: string | null; ok: boolean }) =>
          this.deps.audit?.record(
            {
              token: principal.name,
              role: principal.role,
              engine: 'default',
              operation: r.operation,
              target: r.target,
              outcome: r.ok ? 'ok' : 'refused',
              requestId: null,
            },
            { line: false },
          )
      : undefined;
    const conn = new ClientConnection(ws, principal, this.deps.channels, this.opts.limits, this.deps.logger, this.deps.guard, observe, recordAudit);
    this.clients.set(ws, conn);
    ws.on('close', () => this.clients.delete(ws));
    this.deps.logger.info({ token: principal.name }, 'websocket connected');
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  private beat(): void {
    for (const [ws, conn] of this.clients) {
      if (!conn.alive) {
        this.deps.logger.info({ token: conn.principal.name }, 'websocket peer did not answer ping; terminating');
        conn.terminate();
        this.clients.delete(ws);
        continue;
      }
      conn.alive = false;
      ws.ping();
    }
  }

  private authenticate(req: IncomingMessage): Principal | undefined {
    const header = bearerToken(req.headers.authorization);
    if (header) return this.deps.verifier.verify(header);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ticket = url.searchParams.get('ticket');
    if (ticket !== null) return this.deps.tickets.redeem(ticket);
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    const t = offered.find((p) => p.startsWith(PROTOCOL_TOKEN_PREFIX));
    return t ? this.deps.verifier.verify(t.slice(PROTOCOL_TOKEN_PREFIX.length)) : undefined;
  }

  /**
   * Cross-Site WebSocket Hijacking guard: a browser page may connect only from a configured origin (ALLOWED_ORIGINS
   * and the console's own, PUBLIC_URL). Never the request's Host header: a DNS-rebinding page controls it.
   */
  private originAllowed(origin: string): boolean {
    return this.deps.allowedOrigins.includes(origin);
  }
}
