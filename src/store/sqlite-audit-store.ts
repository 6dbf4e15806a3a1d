import type { AuditEntry, AuditOutcome, AuditQuery, AuditRecord, AuditStore } from '../domain/audit/audit-record';
import type { Db } from './sqlite/database';

interface Row {
  seq: number;
  time: string;
  token: string | null;
  role: string | null;
  engine: string;
  operation: string;
  target: string | null;
  outcome: AuditOutcome;
  status: number | null;
  request_id: string | null;
}

/** The audit trail in the `audit` table: appended in batches with one prepared insert, read newest first by seq. */
export class SqliteAuditStore implements AuditStore {
  private readonly insert;
  private readonly appendAll;
  private readonly pruneStmt;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT INTO audit (time, token, role, engine, operation, target, outcome, status, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.appendAll = db.transaction((entries: readonly AuditEntry[]) => {
      for (const e of entries) this.insert.run(e.time, e.token, e.role, e.engine, e.operation, e.target, e.outcome, e.status ?? null, e.requestId);
    });
    this.pruneStmt = db.prepare('DELETE FROM audit WHERE time < ?');
  }

  append(entries: readonly AuditEntry[]): void {
    this.appendAll(entries);
  }

  query(q: AuditQuery): AuditRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (sql: string, v: string | number | undefined) => {
      if (v === undefined) return;
      where.push(sql);
      args.push(v);
    };
    add('time >= ?', q.from);
    add('time < ?', q.to);
    add('token = ?', q.token);
    add('operation = ?', q.operation);
    add('target = ?', q.target);
    add('outcome = ?', q.outcome);
    add('seq < ?', q.before);
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map(toRecord);
  }

  prune(before: string): number {
    return this.pruneStmt.run(before).changes;
  }
}

const toRecord = (r: Row): AuditRecord => ({
  id: r.seq,
  time: r.time,
  token: r.token,
  role: r.role,
  engine: r.engine,
  operation: r.operation,
  target: r.target,
  outcome: r.outcome,
  ...(r.status !== null ? { status: r.status } : {}),
  requestId: r.request_id,
});
