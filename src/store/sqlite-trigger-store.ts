import type { Trigger, TriggerAction, TriggerStore } from '../domain/triggers/trigger';
import type { Db } from './sqlite/database';

interface Row {
  id: string;
  token_hash: string;
  action: TriggerAction;
  target: string;
  engine: string;
  created_at: string;
}

const triggerOf = (r: Row): Trigger => ({ id: r.id, action: r.action, engine: r.engine, target: r.target, createdAt: r.created_at });

/** Inbound triggers in the `triggers` table: the token only as its SHA-256 (hex), which reveals nothing of it. */
export class SqliteTriggerStore implements TriggerStore {
  constructor(private readonly db: Db) {}

  create(t: Trigger, tokenHash: string): void {
    this.db
      .prepare('INSERT INTO triggers (id, token_hash, action, engine, target, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(t.id, tokenHash, t.action, t.engine, t.target, t.createdAt);
  }

  list(): Trigger[] {
    return (this.db.prepare('SELECT * FROM triggers ORDER BY created_at, id').all() as Row[]).map(triggerOf);
  }

  hashes(): { trigger: Trigger; tokenHash: Buffer }[] {
    return (this.db.prepare('SELECT * FROM triggers').all() as Row[]).map((r) => ({
      trigger: triggerOf(r),
      tokenHash: Buffer.from(r.token_hash, 'hex'),
    }));
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM triggers WHERE id = ?').run(id).changes > 0;
  }
}
