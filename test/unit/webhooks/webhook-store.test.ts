import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../../src/config/config';
import { openDatabase } from '../../../src/store/sqlite/database';
import { MIGRATIONS } from '../../../src/store/sqlite/migrations';
import { SecretBox } from '../../../src/store/sqlite/secret-box';
import { SqliteWebhookStore } from '../../../src/store/sqlite-webhook-store';
import { SqliteTriggerStore } from '../../../src/store/sqlite-trigger-store';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-hookstore-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SqliteWebhookStore', () => {
  test('when DATA_KEY is set, then the secret is sealed on disk and opened only through secretOf; deliveries go with their webhook', () => {
    const file = path.join(dir, 'dockhand.db');
    const db = openDatabase(file);
    const store = new SqliteWebhookStore(db, new SecretBox(randomBytes(32)));
    const secret = 'plain-webhook-secret-that-must-not-be-on-disk';
    const w = {
      id: '11111111-1111-4111-8111-111111111111',
      url: 'https://ci.example/',
      description: null,
      events: { updateAvailable: true },
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    store.create(w, secret);
    expect(store.get(w.id)).toEqual(w);
    expect(store.secretOf(w.id)).toBe(secret);
    const now = new Date().toISOString();
    const base = {
      webhookId: w.id,
      kind: 'update_available' as const,
      attempts: 0,
      responseStatus: null,
      lastError: null,
      latencyMs: null,
      createdAt: now,
      updatedAt: now,
      payload: '{}',
    };
    store.addDeliveries([
      { ...base, id: '22222222-2222-4222-8222-222222222222', status: 'pending' },
      { ...base, id: '33333333-3333-4333-8333-333333333333', status: 'succeeded' },
      // A delivery of a webhook removed meanwhile is not written (no orphan, no foreign-key failure of the batch).
      { ...base, id: '44444444-4444-4444-8444-444444444444', webhookId: '99999999-9999-4999-8999-999999999999', status: 'pending' },
    ]);
    expect(store.deliveries(w.id, 10).map((d) => d.id)).toEqual(['33333333-3333-4333-8333-333333333333', '22222222-2222-4222-8222-222222222222']);
    expect(store.pendingDeliveries()).toEqual([
      expect.objectContaining({ id: '22222222-2222-4222-8222-222222222222', status: 'pending', payload: '{}' }),
    ]);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const raw = Buffer.concat([fs.readFileSync(file), fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0)]);
    expect(raw.includes(secret)).toBe(false);
    expect(store.remove(w.id)).toBe(true);
    expect(store.deliveries(w.id, 10)).toEqual([]);
    db.close();
  });

  test('when a trigger is stored, then only its hash is kept', () => {
    const db = openDatabase(path.join(dir, 'dockhand.db'));
    const store = new SqliteTriggerStore(db);
    const t = {
      id: '55555555-5555-4555-8555-555555555555',
      action: 'redeploy' as const,
      engine: 'edge-1',
      target: 'web1',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    store.create(t, 'ab'.repeat(32));
    expect(store.list()).toEqual([t]);
    expect(store.hashes()).toEqual([{ trigger: t, tokenHash: Buffer.from('ab'.repeat(32), 'hex') }]);
    expect(store.remove(t.id)).toBe(true);
    expect(store.remove(t.id)).toBe(false);
    db.close();
  });

  test('when a trigger was made before triggers named an engine (schema 2), then after the upgrade it is on default', () => {
    const file = path.join(dir, 'dockhand.db');
    const old = openDatabase(file, MIGRATIONS.slice(0, 2));
    old
      .prepare('INSERT INTO triggers (id, token_hash, action, target, created_at) VALUES (?, ?, ?, ?, ?)')
      .run('66666666-6666-4666-8666-666666666666', 'cd'.repeat(32), 'redeploy', 'web2', '2026-01-01T00:00:00.000Z');
    old.close();
    const db = openDatabase(file);
    expect(new SqliteTriggerStore(db).list()).toEqual([
      { id: '66666666-6666-4666-8666-666666666666', action: 'redeploy', engine: 'default', target: 'web2', createdAt: '2026-01-01T00:00:00.000Z' },
    ]);
    db.close();
  });
});

describe('configuration', () => {
  const load = (env: Record<string, string>) => loadConfig({ API_TOKENS: 'a:admin:0123456789abcdef0123', ...env }, () => 'x');
  test('when ALLOWED_WEBHOOK_HOSTS lists hosts with and without ports, then each is parsed, lowercased; a bad one is refused', () => {
    expect(load({ ALLOWED_WEBHOOK_HOSTS: 'CI.example, 127.0.0.1:9000,[::1]:8080' }).webhooks.allowedHosts).toEqual([
      { host: 'ci.example' },
      { host: '127.0.0.1', port: 9000 },
      { host: '[::1]', port: 8080 },
    ]);
    expect(load({}).webhooks).toEqual({
      allowedHosts: [],
      timeoutMs: 10000,
      retryForMs: 3600000,
      retryBaseMs: 1000,
      queueSize: 1000,
      triggerCallsPerMinute: 6,
    });
    expect(() => load({ ALLOWED_WEBHOOK_HOSTS: 'http://ci.example' })).toThrow(/ALLOWED_WEBHOOK_HOSTS/);
    expect(() => load({ ALLOWED_WEBHOOK_HOSTS: 'ci.example:70000' })).toThrow(/ALLOWED_WEBHOOK_HOSTS/);
    expect(() => load({ WEBHOOK_QUEUE_SIZE: '0' })).toThrow(/WEBHOOK_QUEUE_SIZE/);
  });
});
