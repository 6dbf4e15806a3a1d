import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, openDatabase } from '../../../src/store/sqlite/database';
import { MIGRATIONS } from '../../../src/store/sqlite/migrations';
import { SecretBox } from '../../../src/store/sqlite/secret-box';
import { SqliteRegistryStore } from '../../../src/store/sqlite-registry-store';
import { FileRegistryStore } from '../../../src/store/file-registry-store';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-sqlite-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const KEY = Buffer.alloc(32, 7);

describe('schema migrations', () => {
  test('when a database is at an older version, then only the later steps run, each once, and user_version follows', () => {
    const db = new Database(':memory:');
    expect(migrate(db, MIGRATIONS.slice(0, 1))).toBe(1);
    db.prepare("INSERT INTO registries VALUES ('a', 'r.example', 'u', NULL, NULL, 'now')").run();
    expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.length);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare('SELECT count(*) AS n FROM registries').get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'triggers'").get()).toEqual({ name: 'triggers' });
    expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.length); // again: nothing to do, no error
  });

  test('when a step fails, then it is rolled back whole and the version stays', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER); CREATE TABLE a (z INTEGER)'])).toThrow(/already exists/);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
  });

  test('when the database is newer than this code, then opening it is refused', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 99');
    expect(() => migrate(db, MIGRATIONS)).toThrow(/newer/);
  });

  test('when the database is opened, then it is in WAL mode and the file, -wal and -shm are 0600', () => {
    const file = path.join(dir, 'nested', 'dockhand.db');
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    db.close();
  });
});

describe('SqliteRegistryStore', () => {
  test('when the registries.json of an older version exists, then every login is imported with its id, date and secret, once', async () => {
    const legacy = path.join(dir, 'registries.json');
    const old = new FileRegistryStore(legacy);
    const a = await old.add({ serverAddress: 'r.example:5000', username: 'a', password: 'secret-a' });
    const b = await old.add({ serverAddress: 'q.example', username: 'b', identityToken: 'tok-b' });
    const db = openDatabase(path.join(dir, 'dockhand.db'));
    const store = new SqliteRegistryStore(db, new SecretBox(KEY));
    expect(store.importLegacyFile(legacy)).toBe(2);
    expect(await store.list()).toEqual([a, b]);
    expect(await store.credentials(a.id)).toEqual({ serverAddress: 'r.example:5000', username: 'a', password: 'secret-a' });
    expect(await store.credentials(b.id)).toEqual({ serverAddress: 'q.example', username: 'b', identityToken: 'tok-b' });
    expect(fs.existsSync(legacy)).toBe(false);
    expect(fs.existsSync(`${legacy}.migrated`)).toBe(true);
    expect(store.importLegacyFile(legacy)).toBe(0);
    expect(await store.list()).toHaveLength(2);
    db.close();
  });

  test('when a key is configured, then secrets are encrypted at rest and read back; without it they cannot be read', async () => {
    const file = path.join(dir, 'dockhand.db');
    const db = openDatabase(file);
    const store = new SqliteRegistryStore(db, new SecretBox(KEY));
    const rec = await store.add({ serverAddress: 'r.example', username: 'u', password: 'hunter2-plain' });
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(fs.readFileSync(file).includes('hunter2-plain')).toBe(false);
    const raw = db.prepare('SELECT password FROM registries WHERE id = ?').get(rec.id) as { password: string };
    expect(raw.password.startsWith('enc:v1:')).toBe(true);
    expect((await store.credentials(rec.id))?.password).toBe('hunter2-plain');
    await expect(new SqliteRegistryStore(db, new SecretBox(undefined)).credentials(rec.id)).rejects.toThrow(/DATA_KEY/);
    await expect(new SqliteRegistryStore(db, new SecretBox(Buffer.alloc(32, 8))).credentials(rec.id)).rejects.toThrow();
    db.close();
  });

  test('when logins are listed, then they never carry the secret; a removed one is gone after reopening', async () => {
    const file = path.join(dir, 'dockhand.db');
    let db = openDatabase(file);
    const store = new SqliteRegistryStore(db, new SecretBox(undefined));
    const rec = await store.add({ serverAddress: 'r.example', username: 'u', identityToken: 'tok-123' });
    expect(JSON.stringify([rec, await store.get(rec.id), await store.list()])).not.toContain('tok-123');
    expect(await store.remove(rec.id)).toBe(true);
    expect(await store.remove(rec.id)).toBe(false);
    db.close();
    db = openDatabase(file);
    expect(await new SqliteRegistryStore(db, new SecretBox(undefined)).get(rec.id)).toBeUndefined();
    db.close();
  });
});

describe('crash safety', () => {
  test.each(['FULL', 'NORMAL'])(
    'when the writing process (synchronous=%s) is SIGKILLed during a burst of writes, then every row it reported committed is present',
    async (mode) => {
      const file = path.join(dir, 'dockhand.db');
      openDatabase(file).close();
      const writer = path.resolve(__dirname, '../../fixtures/sqlite-burst-writer.js');
      const child = spawn(process.execPath, [writer, file, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
      const committed: number[] = [];
      let pending = '';
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          pending += chunk.toString();
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const l of lines) committed.push(Number(l));
          if (committed.length >= 300) child.kill('SIGKILL');
        });
        child.on('exit', () => resolve());
      });
      expect(child.signalCode).toBe('SIGKILL');
      const db = openDatabase(file);
      const present = new Set((db.prepare('SELECT target FROM audit').all() as { target: string }[]).map((r) => Number(r.target)));
      const missing = committed.filter((n) => !present.has(n));
      expect(committed.length).toBeGreaterThanOrEqual(300);
      expect(missing).toEqual([]);
      db.close();
    },
  );
});
