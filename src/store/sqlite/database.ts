import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

/**
 * Opens (creating if need be) Dockhand's database: its folder 0700, the file and its -wal/-shm 0600, WAL journal,
 * foreign keys on, and the schema brought to the latest version. `synchronous`: FULL (the default) fsyncs the WAL at
 * every commit, so a committed transaction survives a crash of the process or of the machine; NORMAL (WAL) leaves
 * the fsync to the next checkpoint or FULL commit: a committed transaction still survives a crash of the process
 * (SIGKILL, OOM), and the last ones may be lost to a power cut, never corrupting the file.
 */
export function openDatabase(file: string, migrations: readonly string[] = MIGRATIONS, opts: { synchronous?: 'FULL' | 'NORMAL' } = {}): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Created 0600 before SQLite opens it, so it is never readable by others, even for an instant.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const db = new Database(file);
  // First: processes (or test workers) opening one file at once wait for each other's locks instead of failing.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  migrate(db, migrations);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
  }
  return db;
}

/** Applies the steps after `user_version`, each with its version bump in one transaction. Returns the new version. */
export function migrate(db: Db, migrations: readonly string[]): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`the database is at schema version ${current}, newer than this Dockhand knows (${migrations.length})`);
  }
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return migrations.length;
}
