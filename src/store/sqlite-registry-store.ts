import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { RegistryCredentials, RegistryRecord, RegistryStore } from '../domain/registries/registry';
import type { Db } from './sqlite/database';
import type { SecretBox } from './sqlite/secret-box';

interface Row {
  id: string;
  server_address: string;
  username: string;
  password: string | null;
  identity_token: string | null;
  created_at: string;
}

interface LegacyRecord {
  id: string;
  serverAddress: string;
  username: string;
  createdAt: string;
  password?: string;
  identityToken?: string;
}

/** Registry logins in the `registries` table; the secrets sealed by the SecretBox (encrypted when DATA_KEY is set). */
export class SqliteRegistryStore implements RegistryStore {
  private readonly stmts;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {
    this.stmts = {
      list: db.prepare<[], Row>('SELECT * FROM registries ORDER BY created_at, id'),
      get: db.prepare<[string], Row>('SELECT * FROM registries WHERE id = ?'),
      insert: db.prepare('INSERT INTO registries (id, server_address, username, password, identity_token, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      remove: db.prepare('DELETE FROM registries WHERE id = ?'),
    };
  }

  /**
   * Imports the logins of the JSON file used before the database (DATA_DIR/registries.json), ids and dates kept,
   * in one transaction, then renames the file to `registries.json.migrated` so it is read once. Returns how many.
   */
  importLegacyFile(file: string): number {
    let parsed: { registries?: LegacyRecord[] };
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { registries?: LegacyRecord[] };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    const records = Array.isArray(parsed.registries) ? parsed.registries : [];
    const exists = this.db.prepare('SELECT 1 FROM registries WHERE id = ?');
    this.db.transaction(() => {
      for (const r of records) {
        if (exists.get(r.id)) continue;
        this.stmts.insert.run(r.id, r.serverAddress, r.username, this.sealed(r.password), this.sealed(r.identityToken), r.createdAt);
      }
    })();
    // Only after the commit: a crash before it leaves the file to be imported again (already-present ids skipped).
    fs.renameSync(file, `${file}.migrated`);
    return records.length;
  }

  async list(): Promise<RegistryRecord[]> {
    return this.stmts.list.all().map(publicRecord);
  }

  async get(id: string): Promise<RegistryRecord | undefined> {
    const r = this.stmts.get.get(id);
    return r && publicRecord(r);
  }

  async credentials(id: string): Promise<RegistryCredentials | undefined> {
    const r = this.stmts.get.get(id);
    if (!r) return undefined;
    return {
      serverAddress: r.server_address,
      username: r.username,
      ...(r.password !== null ? { password: this.box.open(r.password) } : {}),
      ...(r.identity_token !== null ? { identityToken: this.box.open(r.identity_token) } : {}),
    };
  }

  async add(creds: RegistryCredentials): Promise<RegistryRecord> {
    const row: Row = {
      id: randomUUID(),
      server_address: creds.serverAddress,
      username: creds.username,
      password: this.sealed(creds.password),
      identity_token: this.sealed(creds.identityToken),
      created_at: new Date().toISOString(),
    };
    this.stmts.insert.run(row.id, row.server_address, row.username, row.password, row.identity_token, row.created_at);
    return publicRecord(row);
  }

  async remove(id: string): Promise<boolean> {
    return this.stmts.remove.run(id).changes > 0;
  }

  private sealed(v: string | undefined): string | null {
    return v === undefined ? null : this.box.seal(v);
  }
}

const publicRecord = (r: Row): RegistryRecord => ({ id: r.id, serverAddress: r.server_address, username: r.username, createdAt: r.created_at });
