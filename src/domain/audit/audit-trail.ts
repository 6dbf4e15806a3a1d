import type { Logger } from 'pino';
import type { AuditEntry, AuditQuery, AuditRecord, AuditStore } from './audit-record';

const DAY_MS = 86_400_000;

/**
 * The audit trail: every entry is a log line at once (`log: "audit"`, as before) and a row in the store. Rows are
 * buffered and written together once per event-loop turn, in one transaction, so a burst of calls costs one commit.
 * A query first writes what is buffered, so it always sees the calls answered before it.
 */
export class AuditTrail {
  private buffer: AuditEntry[] = [];
  private scheduled = false;
  private readonly pruner: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: AuditStore,
    private readonly lines: Logger,
    private readonly opts: { retentionDays: number; onError: (err: unknown) => void },
  ) {
    if (opts.retentionDays > 0) {
      this.pruneNow();
      this.pruner = setInterval(() => this.pruneNow(), Math.min(DAY_MS, 3_600_000));
      this.pruner.unref();
    }
  }

  /** `line: false` when the caller writes its own log line (WebSocket subscriptions keep their established shape). */
  record(entry: Omit<AuditEntry, 'time'> & { time?: string }, opts: { line: boolean } = { line: true }): void {
    const row: AuditEntry = { ...entry, time: entry.time ?? new Date().toISOString() };
    if (opts.line) {
      const { time: _time, ...line } = row;
      this.lines.info(line, 'audit');
    }
    this.buffer.push(row);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  query(q: AuditQuery): AuditRecord[] {
    this.flush();
    return this.store.query(q);
  }

  /** Writes the buffered rows now (also on shutdown). */
  flush(): void {
    this.scheduled = false;
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    try {
      this.store.append(rows);
    } catch (err) {
      this.opts.onError(err);
    }
  }

  close(): void {
    if (this.pruner) clearInterval(this.pruner);
    this.flush();
  }

  private pruneNow(): void {
    try {
      this.store.prune(new Date(Date.now() - this.opts.retentionDays * DAY_MS).toISOString());
    } catch (err) {
      this.opts.onError(err);
    }
  }
}
