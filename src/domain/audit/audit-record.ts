/** How a recorded call ended: `ok` (2xx/3xx or success), `refused` (4xx: denied or invalid), `failed` (5xx or error). */
export type AuditOutcome = 'ok' | 'refused' | 'failed';

/** One row of the audit trail: who did what, on what, through which engine, and how it ended. */
export interface AuditEntry {
  time: string;
  /** The token's name (never the token); null when refused before a token was recognised. */
  token: string | null;
  role: string | null;
  engine: string;
  operation: string;
  target: string | null;
  outcome: AuditOutcome;
  /** The HTTP status for REST calls; absent for WebSocket subscriptions and background work. */
  status?: number;
  requestId: string | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
}

export interface AuditQuery {
  from?: string;
  to?: string;
  token?: string;
  operation?: string;
  target?: string;
  outcome?: AuditOutcome;
  /** Newest first: the rows older than this id (the `next` cursor of the previous page). */
  before?: number;
  limit: number;
}

/** Where audit rows are kept (the domain's port; src/store holds the SQLite implementation). */
export interface AuditStore {
  append(entries: readonly AuditEntry[]): void;
  query(q: AuditQuery): AuditRecord[];
  /** Deletes the rows older than `before` (ISO time); returns how many. */
  prune(before: string): number;
}

export const outcomeOf = (status: number): AuditOutcome => (status >= 500 ? 'failed' : status >= 400 ? 'refused' : 'ok');
