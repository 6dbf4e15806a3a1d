/**
 * The schema, one step per version, applied in order inside one transaction each; `PRAGMA user_version` records the
 * last one applied. Steps are never edited once released: a change is a new step at the end.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: registry logins (were DATA_DIR/registries.json), webhooks and their deliveries, the audit trail.
  `CREATE TABLE registries (
     id TEXT PRIMARY KEY,
     server_address TEXT NOT NULL,
     username TEXT NOT NULL,
     password TEXT,
     identity_token TEXT,
     created_at TEXT NOT NULL
   );
   CREATE TABLE webhooks (
     id TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     events TEXT NOT NULL,
     secret TEXT NOT NULL,
     description TEXT,
     created_at TEXT NOT NULL
   );
   CREATE TABLE deliveries (
     id TEXT PRIMARY KEY,
     webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
     event TEXT NOT NULL,
     payload TEXT NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     response_status INTEGER,
     last_error TEXT,
     latency_ms INTEGER,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX deliveries_by_webhook ON deliveries(webhook_id, created_at);
   CREATE TABLE audit (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     time TEXT NOT NULL,
     token TEXT,
     role TEXT,
     engine TEXT NOT NULL,
     operation TEXT NOT NULL,
     target TEXT,
     outcome TEXT NOT NULL,
     status INTEGER,
     request_id TEXT
   );
   CREATE INDEX audit_by_time ON audit(time);`,
  // 2: inbound triggers; the token is kept only as its SHA-256.
  `CREATE TABLE triggers (
     id TEXT PRIMARY KEY,
     token_hash TEXT NOT NULL UNIQUE,
     action TEXT NOT NULL,
     target TEXT NOT NULL,
     created_at TEXT NOT NULL
   );`,
  // 3: a trigger redeploys a container on a named engine; those made before engines existed meant `default`.
  `ALTER TABLE triggers ADD COLUMN engine TEXT NOT NULL DEFAULT 'default';`,
];
