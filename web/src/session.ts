import { ApiError, DockhandRestClient, type Principal, type Role } from '../../src/client/rest-client';
import { DockhandWsClient, type WebSocketLike } from '../../src/client/ws-client';

/**
 * The token (kept in sessionStorage: gone when the tab closes, never in localStorage or a cookie), who it is,
 * the REST client and the one WebSocket, opened with a single-use ticket because browsers cannot send headers.
 */
const TOKEN_KEY = 'dockhand.token';
const ENGINE_KEY = 'dockhand.engine';
const ROLES: Role[] = ['viewer', 'operator', 'admin'];

export class Session {
  /** The engine the engine-scoped panels work on, chosen in the header for this tab. */
  readonly engine: string = sessionStorage.getItem(ENGINE_KEY) ?? 'default';
  readonly api = new DockhandRestClient({ token: () => this.token, engine: this.engine });
  principal: Principal | undefined;
  ws: DockhandWsClient | undefined;
  private token: string | undefined = sessionStorage.getItem(TOKEN_KEY) ?? undefined;

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  /** True when the token's role is at least `need` (the contract's rule: viewer < operator < admin). */
  can(need: Role): boolean {
    return !!this.principal && ROLES.indexOf(this.principal.role) >= ROLES.indexOf(need);
  }

  /** Checks a token with GET /api/v1/me; only a token the service accepts is kept. */
  async signIn(token: string): Promise<Principal> {
    const previous = this.token;
    this.token = token;
    try {
      this.principal = await this.api.me();
    } catch (err) {
      this.token = previous;
      throw err;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    return this.principal;
  }

  async resume(): Promise<Principal | undefined> {
    if (!this.token) return undefined;
    try {
      this.principal = await this.api.me();
      return this.principal;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.signOut();
      throw err;
    }
  }

  /** The `engine` field for a WebSocket subscription: absent for `default`, as before engines existed. */
  get wsEngine(): { engine?: string } {
    return this.engine === 'default' ? {} : { engine: this.engine };
  }

  /** Chooses the engine for this tab; the caller reloads so every panel starts over on it. */
  chooseEngine(name: string): void {
    if (name === 'default') sessionStorage.removeItem(ENGINE_KEY);
    else sessionStorage.setItem(ENGINE_KEY, name);
  }

  signOut(): void {
    this.token = undefined;
    this.principal = undefined;
    sessionStorage.removeItem(TOKEN_KEY);
    this.ws?.close();
    this.ws = undefined;
  }

  /** Opens the WebSocket; every (re)connect fetches a fresh ticket, and the client resumes subscriptions itself. */
  async openSocket(onState: (state: 'connecting' | 'open' | 'closed') => void): Promise<DockhandWsClient> {
    this.ws?.close();
    const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`;
    const client = new DockhandWsClient({
      url: async () => `${wsBase}?ticket=${encodeURIComponent((await this.api.wsTicket()).ticket)}`,
      connect: (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike,
      maxBackoffMs: 5000,
      onState,
    });
    this.ws = client;
    await client.open();
    return client;
  }
}

/** A message for people from whatever a request threw. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = err.problem.errors?.map((e) => `${e.path}: ${e.message}`).join('; ');
    return `${err.problem.title} (${err.status} ${err.code}): ${fields || err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
