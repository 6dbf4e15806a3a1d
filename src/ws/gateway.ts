import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken, type Principal, type TokenVerifier } from '../domain/auth/tokens';
import type { WsTicketStore } from '../domain/auth/ws-tickets';
import { CLOSE, ClientConnection, DEFAULT_LIMITS, type ChannelRegistry, type ConnectionLimits } from './connection';
import { SUBPROTOCOL } from './protocol';

export interface WsGatewayOptions {
  /** Largest client frame (bytes); a larger one closes the socket with 1009. */
  maxPayload: number;
  /** Ping period; a client that has not answered the previous ping by the next one is terminated. */
  heartbeatMs: number;
  limits: ConnectionLimits;
}

export const DEFAULT_GATEWAY_OPTIONS: WsGatewayOptions = { maxPayload: 16 * 1024, heartbeatMs: 30000, limits: DEFAULT_LIMITS };

export interface WsGatewayDeps {
  verifier: TokenVerifier;
  tickets: WsTicketStore;
  allowedOrigins: string[];
  channels: ChannelRegistry;
  logger: Logger;
}

/** A token offered as a subprotocol, for browsers that can set nothing else: `bearer.<token>`. */
const PROTOCOL_TOKEN_PREFIX = 'bearer.';

function reject(socket: Duplex, status: 401 | 403, code: string, detail: string): void {
  const body = JSON.stringify({ type: `urn:dockhand:problem:${code}`, title: code.replace(/_/g, ' '), status, detail, code });
  const reason = status === 401 ? 'Unauthorized' : 'Forbidden';
  const challenge = status === 401 ? 'WWW-Authenticate: Bearer realm="dockhand"\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n${challenge}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
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

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin, req.headers.host)) {
      this.deps.logger.warn({ origin }, 'websocket upgrade from a foreign origin refused');
      return reject(socket, 403, 'forbidden', `origin ${origin} is not allowed (ALLOWED_ORIGINS)`);
    }
    const principal = this.authenticate(req);
    if (!principal) return reject(socket, 401, 'unauthorized', 'a bearer token, a ticket (?ticket=) or a bearer.<token> subprotocol is required');
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

  private accept(ws: WebSocket, principal: Principal): void {
    const conn = new ClientConnection(ws, principal, this.deps.channels, this.opts.limits, this.deps.logger);
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

  /** Cross-Site WebSocket Hijacking guard: a browser page may connect only from an allowed or the same origin. */
  private originAllowed(origin: string, host: string | undefined): boolean {
    if (this.deps.allowedOrigins.includes(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host === host;
    } catch {
      return false;
    }
  }
}
