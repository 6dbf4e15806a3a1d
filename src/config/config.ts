import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { ROLES, type Role } from '../domain/auth/roles';
import type { EngineEndpoint } from '../domain/engine-endpoint';

export interface TokenConfig {
  name: string;
  role: Role;
  token: string;
  /** The engines this token may use (`…:engines=a|b`); absent: every engine. Others are 404 to it. */
  engines?: string[];
}

/** One Docker engine the service manages: `default` is DOCKER_HOST; more come from ENGINES or ENGINES_FILE. */
export interface EngineConfig {
  name: string;
  endpoint: EngineEndpoint;
  /** Milliseconds an ordinary call to this engine may take (ENGINE_TIMEOUT_MS unless the engines file says). */
  timeoutMs: number;
  /** /readyz answers 503 while a required engine is down (ENGINES_REQUIRED, or `required` in the file). */
  required: boolean;
  labels: Record<string, string>;
}

/** The docker-context name grammar. */
export const ENGINE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;
/** `default` is DOCKER_HOST; `all` names the fleet views (/engines/all/containers). */
const RESERVED_ENGINE_NAMES = new Set(['default', 'all']);

export interface Config {
  port: number;
  host: string;
  /** The `default` engine's endpoint (DOCKER_HOST), as engines[0].endpoint. */
  engine: EngineEndpoint;
  /** Every engine, `default` first. */
  engines: EngineConfig[];
  /** Milliseconds an ordinary engine call may take before it fails as engine_timeout. */
  engineTimeoutMs: number;
  tokens: TokenConfig[];
  /** True when no API_TOKENS were given and an admin token was generated for this run. */
  generatedToken: boolean;
  allowedRegistries: string[];
  /** ALLOWED_ORIGINS as given. */
  allowedOrigins: string[];
  /** The console's own origin(s), from PUBLIC_URL (or, unset, from HOST and PORT); never from a request's headers. */
  selfOrigins: string[];
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Host paths that admin-created containers may bind-mount (empty: none); read-only unless marked `:rw`. */
  allowedBindPaths: { path: string; writable: boolean }[];
  /** Applied to every container created through the API. */
  createPolicy: { noNewPrivileges: boolean; pidsLimit: number; minHostPort: number; allowedHostIps: string[] };
  shutdownTimeoutMs: number;
  /** A pull or push that moves no byte for this long fails as registry_unreachable (the engine alone retries for ~75 s). */
  pullStallTimeoutMs: number;
  /** Per-token budgets on costly calls (a minute's worth may come in a burst); 0 turns a limit off. */
  rateLimits: { pullsPerMinute: number; logTailsPerMinute: number; execsPerMinute: number; wsConnectionsPerToken: number };
  /** An exec or attach session with no input and no output for this long is ended (idle_timeout). */
  execIdleTimeoutMs: number;
  /**
   * The engine event stream silent this long is checked: a ping, then the events the engine holds compared with
   * what the stream delivered; a dead engine or a stalled stream is reconnected.
   */
  eventsWatchdogMs: number;
  server: ServerLimits;
  /** Concurrent WebSocket streams (logs, stats, events, exec, attach subscriptions) per token and in all; 0: no cap. */
  streams: { perToken: number; global: number };
  /** Unused WebSocket tickets one token may hold, and tickets it may be issued a minute; 0: no cap. */
  wsTickets: { perToken: number; perMinute: number };
  /** Image update checks: how long a registry answer is reused, how often every image in use is checked (0: never). */
  updates: { cacheTtlMs: number; checkIntervalMs: number; recreateSettleMs: number };
  /** AES-256-GCM key for secrets at rest in DATA_DIR/dockhand.db (registry passwords and identity tokens); none: stored plain. */
  dataKey?: Buffer;
  /** Audit rows older than this many days are deleted (0: kept forever). */
  auditRetentionDays: number;
  /** Outbound webhooks and inbound triggers (src/wiring-webhooks.ts). */
  webhooks: WebhookConfig;
}

export interface WebhookConfig {
  /** ALLOWED_WEBHOOK_HOSTS: `host[:port]` a webhook URL may name (empty: no webhook can be created). */
  allowedHosts: { host: string; port?: number }[];
  /** One POST may take this long. */
  timeoutMs: number;
  /** A failing delivery is retried (exponential backoff with jitter) until this long after its first attempt. */
  retryForMs: number;
  /** The first retry's delay (doubling per attempt, at most a minute). */
  retryBaseMs: number;
  /** Deliveries waiting per webhook; beyond, the oldest waiting one is dropped. */
  queueSize: number;
  /** Calls a minute per trigger (a minute's worth in a burst). */
  triggerCallsPerMinute: number;
}

/** How long a client may take to send a request, and how many connections the server holds at once. */
export interface ServerLimits {
  /** Until the request's headers are in; beyond, 408 and the connection closes. */
  headersTimeoutMs: number;
  /** Until the whole request (headers and body) is in; beyond, 408 and the connection closes. */
  requestTimeoutMs: number;
  /** Open connections (WebSockets included); beyond, new ones are closed at once. 0: no cap. */
  maxConnections: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const csv = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const intIn = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be between ${min} and ${max}`);

const registryHost = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::\d{1,5})?$/;

const envSchema = z.object({
  PORT: intIn('PORT', 0, 65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DOCKER_HOST: z.string().optional(),
  DOCKER_TLS_VERIFY: z.string().optional(),
  DOCKER_CERT_PATH: z.string().optional(),
  ENGINES: z.string().optional(),
  ENGINES_FILE: z.string().optional(),
  ENGINES_CERT_DIR: z.string().optional(),
  ENGINES_REQUIRED: z.string().optional(),
  ENGINE_TIMEOUT_MS: intIn('ENGINE_TIMEOUT_MS', 100, 600000).default(10000),
  API_TOKENS: z.string().optional(),
  ALLOWED_REGISTRIES: z.string().optional(),
  ALLOWED_ORIGINS: z.string().optional(),
  PUBLIC_URL: z.string().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ALLOWED_BIND_PATHS: z.string().optional(),
  CREATE_NO_NEW_PRIVILEGES: z.enum(['true', 'false']).default('true'),
  CREATE_PIDS_LIMIT: intIn('CREATE_PIDS_LIMIT', 0, 4194304).default(512),
  CREATE_MIN_HOST_PORT: intIn('CREATE_MIN_HOST_PORT', 1, 65535).default(1024),
  CREATE_ALLOWED_HOST_IPS: z.string().default('0.0.0.0,127.0.0.1'),
  SHUTDOWN_TIMEOUT_MS: intIn('SHUTDOWN_TIMEOUT_MS', 0, 600000).default(8000),
  PULL_STALL_TIMEOUT_MS: intIn('PULL_STALL_TIMEOUT_MS', 1000, 3600000).default(60000),
  RATE_LIMIT_PULLS_PER_MINUTE: intIn('RATE_LIMIT_PULLS_PER_MINUTE', 0, 100000).default(60),
  RATE_LIMIT_LOG_TAILS_PER_MINUTE: intIn('RATE_LIMIT_LOG_TAILS_PER_MINUTE', 0, 1000000).default(1200),
  RATE_LIMIT_EXECS_PER_MINUTE: intIn('RATE_LIMIT_EXECS_PER_MINUTE', 0, 100000).default(120),
  WS_MAX_CONNECTIONS_PER_TOKEN: intIn('WS_MAX_CONNECTIONS_PER_TOKEN', 0, 1000000).default(2048),
  WS_MAX_STREAMS_PER_TOKEN: intIn('WS_MAX_STREAMS_PER_TOKEN', 0, 1000000).default(64),
  WS_MAX_STREAMS: intIn('WS_MAX_STREAMS', 0, 1000000).default(1024),
  WS_MAX_TICKETS_PER_TOKEN: intIn('WS_MAX_TICKETS_PER_TOKEN', 0, 1000000).default(32),
  RATE_LIMIT_WS_TICKETS_PER_MINUTE: intIn('RATE_LIMIT_WS_TICKETS_PER_MINUTE', 0, 1000000).default(120),
  HTTP_HEADERS_TIMEOUT_MS: intIn('HTTP_HEADERS_TIMEOUT_MS', 100, 600000).default(10000),
  HTTP_REQUEST_TIMEOUT_MS: intIn('HTTP_REQUEST_TIMEOUT_MS', 100, 3600000).default(30000),
  HTTP_MAX_CONNECTIONS: intIn('HTTP_MAX_CONNECTIONS', 0, 1000000).default(4096),
  EXEC_IDLE_TIMEOUT_MS: intIn('EXEC_IDLE_TIMEOUT_MS', 500, 86400000).default(900000),
  EVENTS_WATCHDOG_MS: intIn('EVENTS_WATCHDOG_MS', 200, 600000).default(15000),
  UPDATE_CHECK_TTL_MS: intIn('UPDATE_CHECK_TTL_MS', 0, 604800000).default(900000),
  UPDATE_CHECK_INTERVAL_MS: intIn('UPDATE_CHECK_INTERVAL_MS', 0, 604800000).default(0),
  RECREATE_SETTLE_MS: intIn('RECREATE_SETTLE_MS', 0, 600000).default(5000),
  DATA_KEY: z.string().optional(),
  AUDIT_RETENTION_DAYS: intIn('AUDIT_RETENTION_DAYS', 0, 36500).default(90),
  ALLOWED_WEBHOOK_HOSTS: z.string().optional(),
  WEBHOOK_TIMEOUT_MS: intIn('WEBHOOK_TIMEOUT_MS', 100, 120000).default(10000),
  WEBHOOK_RETRY_FOR_MS: intIn('WEBHOOK_RETRY_FOR_MS', 0, 86400000).default(3600000),
  WEBHOOK_RETRY_BASE_MS: intIn('WEBHOOK_RETRY_BASE_MS', 10, 600000).default(1000),
  WEBHOOK_QUEUE_SIZE: intIn('WEBHOOK_QUEUE_SIZE', 1, 100000).default(1000),
  TRIGGER_CALLS_PER_MINUTE: intIn('TRIGGER_CALLS_PER_MINUTE', 1, 10000).default(6),
});

export function parseDockerHost(value: string | undefined, tlsVerify?: string, certPath?: string, setting = 'DOCKER_HOST'): EngineEndpoint {
  const v = value && value.length > 0 ? value : 'unix:///var/run/docker.sock';
  if (v.startsWith('unix://')) {
    const socketPath = v.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new ConfigError(`${setting}: a unix socket path must be absolute, got "${v}"`);
    return { kind: 'socket', socketPath };
  }
  const m = /^tcp:\/\/([^:/]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(v);
  if (m) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new ConfigError(`${setting}: port out of range in "${v}"`);
    const verify = tlsVerify !== undefined && tlsVerify !== '' && tlsVerify !== '0';
    const endpoint: EngineEndpoint = { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port };
    if (verify || certPath) {
      endpoint.tls = { certPath: certPath || `${process.env.HOME ?? ''}/.docker`, verify };
    }
    return endpoint;
  }
  throw new ConfigError(`${setting} must be unix:///path or tcp://host:port, got "${v}"`);
}

const TLS_FILES = ['ca.pem', 'cert.pem', 'key.pem'];

/** A directory of ca.pem, cert.pem and key.pem (as DOCKER_CERT_PATH), checked now so a typo stops start-up. */
function tlsDir(dir: string, setting: string): { certPath: string; verify: boolean } {
  const missing = TLS_FILES.filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length > 0) throw new ConfigError(`${setting}: ${dir} has no ${missing.join(', ')}`);
  return { certPath: dir, verify: true };
}

const engineFileSchema = z
  .object({
    name: z.string(),
    host: z.string(),
    /** A directory with ca.pem, cert.pem and key.pem: mutual TLS with the engine. */
    tlsCertPath: z.string().optional(),
    timeoutMs: z.number().int().min(100).max(600000).optional(),
    required: z.boolean().optional(),
    labels: z.record(z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/), z.string().max(256)).optional(),
  })
  .strict();

/**
 * ENGINES (`name=unix:///path,name=tcp://host:port`, TLS from ENGINES_CERT_DIR/<name>/ when that directory exists)
 * and ENGINES_FILE (JSON: `{"engines": [{name, host, tlsCertPath?, timeoutMs?, required?, labels?}]}`), after
 * `default` (DOCKER_HOST). A bad entry stops start-up naming it.
 */
export function parseEngines(
  e: { ENGINES?: string; ENGINES_FILE?: string; ENGINES_CERT_DIR?: string; ENGINES_REQUIRED?: string },
  defaultEndpoint: EngineEndpoint,
  timeoutMs: number,
  readFile: (p: string) => string = (p) => fs.readFileSync(p, 'utf8'),
): EngineConfig[] {
  const engines: EngineConfig[] = [{ name: 'default', endpoint: defaultEndpoint, timeoutMs, required: false, labels: {} }];
  const add = (name: string, setting: string, make: () => Omit<EngineConfig, 'name'>) => {
    if (!ENGINE_NAME.test(name)) throw new ConfigError(`${setting}: engine name "${name}" must match ${ENGINE_NAME.source}`);
    if (RESERVED_ENGINE_NAMES.has(name)) throw new ConfigError(`${setting}: the engine name "${name}" is reserved`);
    if (engines.some((x) => x.name === name)) throw new ConfigError(`${setting}: engine "${name}" is given twice`);
    engines.push({ name, ...make() });
  };
  for (const entry of csv(e.ENGINES)) {
    const i = entry.indexOf('=');
    if (i <= 0) throw new ConfigError(`ENGINES: "${entry}" must be name=unix:///path or name=tcp://host:port`);
    const name = entry.slice(0, i);
    const setting = `ENGINES (${name})`;
    add(name, 'ENGINES', () => {
      const endpoint = parseDockerHost(entry.slice(i + 1), undefined, undefined, setting);
      if (endpoint.kind === 'tcp' && e.ENGINES_CERT_DIR && fs.existsSync(path.join(e.ENGINES_CERT_DIR, name))) {
        endpoint.tls = tlsDir(path.join(e.ENGINES_CERT_DIR, name), setting);
      }
      return { endpoint, timeoutMs, required: false, labels: {} };
    });
  }
  if (e.ENGINES_FILE) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFile(e.ENGINES_FILE));
    } catch (err) {
      throw new ConfigError(`ENGINES_FILE: ${e.ENGINES_FILE} is not readable JSON (${(err as Error).message})`);
    }
    const parsed = z
      .object({ engines: z.array(engineFileSchema) })
      .strict()
      .safeParse(doc);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(`ENGINES_FILE: ${issue.path.join('.')}: ${issue.message}`);
    }
    for (const x of parsed.data.engines) {
      const setting = `ENGINES_FILE (${x.name})`;
      add(x.name, 'ENGINES_FILE', () => {
        const endpoint = parseDockerHost(x.host, undefined, undefined, setting);
        if (x.tlsCertPath) {
          if (endpoint.kind !== 'tcp') throw new ConfigError(`${setting}: tlsCertPath is for tcp:// engines`);
          endpoint.tls = tlsDir(x.tlsCertPath, setting);
        }
        return { endpoint, timeoutMs: x.timeoutMs ?? timeoutMs, required: x.required ?? false, labels: x.labels ?? {} };
      });
    }
  }
  const required = e.ENGINES_REQUIRED === undefined ? ['default'] : csv(e.ENGINES_REQUIRED);
  for (const name of required) {
    const engine = engines.find((x) => x.name === name);
    if (!engine) throw new ConfigError(`ENGINES_REQUIRED: no engine named "${name}"`);
    engine.required = true;
  }
  return engines;
}

export function parseTokens(value: string | undefined, engineNames?: readonly string[]): TokenConfig[] {
  const entries = csv(value);
  const seen = new Set<string>();
  const tokens = new Map<string, string>();
  return entries.map((entry) => {
    const parts = entry.split(':');
    if (parts.length < 3) throw new ConfigError(`API_TOKENS: "${parts[0]}:…" must be name:role:token`);
    const [name, role, ...rest] = parts;
    let engines: string[] | undefined;
    if (rest.length > 1 && rest[rest.length - 1].startsWith('engines=')) {
      engines = (rest.pop() as string).slice('engines='.length).split('|');
      for (const e of engines) {
        if (engineNames ? !engineNames.includes(e) : !ENGINE_NAME.test(e))
          throw new ConfigError(`API_TOKENS: "${name}" names engine "${e}", which is not configured`);
      }
    }
    const token = rest.join(':');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new ConfigError(`API_TOKENS: token name "${name}" must be 1-64 of [A-Za-z0-9_.-]`);
    if (!(ROLES as readonly string[]).includes(role))
      throw new ConfigError(`API_TOKENS: role "${role}" of "${name}" must be one of ${ROLES.join(', ')}`);
    if (token.length < 16) throw new ConfigError(`API_TOKENS: the token of "${name}" must be at least 16 characters`);
    if (seen.has(name)) throw new ConfigError(`API_TOKENS: token name "${name}" is given twice`);
    seen.add(name);
    // One token under two names (or roles) would mean whichever entry matched last: refuse to guess.
    const twin = tokens.get(token);
    if (twin !== undefined) throw new ConfigError(`API_TOKENS: "${twin}" and "${name}" have the same token`);
    tokens.set(token, name);
    return { name, role: role as Role, token, ...(engines ? { engines } : {}) };
  });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Where browsers load the console from, so the WebSocket Origin check may trust it: PUBLIC_URL's origin; unset, the
 * address the service listens on (with both loopback names when that is loopback), none for a wildcard address or
 * port 0. Taken from configuration only: a Host header is whatever a DNS-rebinding page makes it.
 */
function consoleOrigins(publicUrl: string | undefined, host: string, port: number): string[] {
  if (publicUrl !== undefined && publicUrl !== '') {
    let url: URL;
    try {
      url = new URL(publicUrl);
    } catch {
      throw new ConfigError(`PUBLIC_URL: "${publicUrl}" must be a URL like https://host:port/`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`PUBLIC_URL: "${publicUrl}" must be an http or https URL`);
    return [url.origin];
  }
  if (port === 0 || host === '0.0.0.0' || host === '::') return [];
  if (!LOOPBACK.has(host)) return [`http://${host.includes(':') ? `[${host}]` : host}:${port}`];
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
}

/** Reads and validates the whole configuration once; throws ConfigError with one clear line. */
export function loadConfig(env: NodeJS.ProcessEnv, generateToken: () => string): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const engine = parseDockerHost(e.DOCKER_HOST, e.DOCKER_TLS_VERIFY, e.DOCKER_CERT_PATH);
  const engines = parseEngines(e, engine, e.ENGINE_TIMEOUT_MS);
  let tokens = parseTokens(
    e.API_TOKENS,
    engines.map((x) => x.name),
  );
  const generatedToken = tokens.length === 0;
  if (generatedToken) tokens = [{ name: 'generated-admin', role: 'admin', token: generateToken() }];
  const allowedRegistries = e.ALLOWED_REGISTRIES === undefined ? ['docker.io'] : csv(e.ALLOWED_REGISTRIES);
  for (const r of allowedRegistries) {
    if (!registryHost.test(r)) throw new ConfigError(`ALLOWED_REGISTRIES: "${r}" is not a host with an optional port`);
  }
  const allowedWebhookHosts = csv(e.ALLOWED_WEBHOOK_HOSTS).map((h) => {
    if (!registryHost.test(h)) throw new ConfigError(`ALLOWED_WEBHOOK_HOSTS: "${h}" is not a host with an optional port`);
    const m = /^(.*?)(?::(\d{1,5}))?$/.exec(h) as RegExpExecArray;
    const port = m[2] === undefined ? undefined : Number(m[2]);
    if (port !== undefined && (port < 1 || port > 65535)) throw new ConfigError(`ALLOWED_WEBHOOK_HOSTS: "${h}" has a port out of range`);
    return { host: m[1].toLowerCase(), ...(port === undefined ? {} : { port }) };
  });
  const allowedOrigins = csv(e.ALLOWED_ORIGINS);
  for (const o of allowedOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(o)) throw new ConfigError(`ALLOWED_ORIGINS: "${o}" must be an origin like https://host:port`);
  }
  const selfOrigins = consoleOrigins(e.PUBLIC_URL, e.HOST, e.PORT);
  const allowedBindPaths = csv(e.ALLOWED_BIND_PATHS).map((entry) => {
    const m = /^(.*?)(?::(rw|ro))?$/.exec(entry) as RegExpExecArray;
    const p = m[1].length > 1 ? m[1].replace(/\/+$/, '') : m[1];
    if (!p.startsWith('/') || p.split('/').includes('..') || p.includes(':')) {
      throw new ConfigError(`ALLOWED_BIND_PATHS: "${entry}" must be an absolute path without .., optionally followed by :rw or :ro`);
    }
    return { path: p, writable: m[2] === 'rw' };
  });
  const allowedHostIps = csv(e.CREATE_ALLOWED_HOST_IPS);
  for (const ip of allowedHostIps) {
    if (net.isIP(ip) === 0) throw new ConfigError(`CREATE_ALLOWED_HOST_IPS: "${ip}" is not an IP address`);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    engine,
    engines,
    engineTimeoutMs: e.ENGINE_TIMEOUT_MS,
    tokens,
    generatedToken,
    allowedRegistries,
    allowedOrigins,
    selfOrigins,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    allowedBindPaths,
    createPolicy: {
      noNewPrivileges: e.CREATE_NO_NEW_PRIVILEGES === 'true',
      pidsLimit: e.CREATE_PIDS_LIMIT,
      minHostPort: e.CREATE_MIN_HOST_PORT,
      allowedHostIps,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    pullStallTimeoutMs: e.PULL_STALL_TIMEOUT_MS,
    rateLimits: {
      pullsPerMinute: e.RATE_LIMIT_PULLS_PER_MINUTE,
      logTailsPerMinute: e.RATE_LIMIT_LOG_TAILS_PER_MINUTE,
      execsPerMinute: e.RATE_LIMIT_EXECS_PER_MINUTE,
      wsConnectionsPerToken: e.WS_MAX_CONNECTIONS_PER_TOKEN,
    },
    execIdleTimeoutMs: e.EXEC_IDLE_TIMEOUT_MS,
    server: {
      headersTimeoutMs: Math.min(e.HTTP_HEADERS_TIMEOUT_MS, e.HTTP_REQUEST_TIMEOUT_MS),
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    streams: { perToken: e.WS_MAX_STREAMS_PER_TOKEN, global: e.WS_MAX_STREAMS },
    wsTickets: { perToken: e.WS_MAX_TICKETS_PER_TOKEN, perMinute: e.RATE_LIMIT_WS_TICKETS_PER_MINUTE },
    eventsWatchdogMs: e.EVENTS_WATCHDOG_MS,
    updates: { cacheTtlMs: e.UPDATE_CHECK_TTL_MS, checkIntervalMs: e.UPDATE_CHECK_INTERVAL_MS, recreateSettleMs: e.RECREATE_SETTLE_MS },
    ...(e.DATA_KEY ? { dataKey: parseDataKey(e.DATA_KEY) } : {}),
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    webhooks: {
      allowedHosts: allowedWebhookHosts,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryForMs: e.WEBHOOK_RETRY_FOR_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      queueSize: e.WEBHOOK_QUEUE_SIZE,
      triggerCallsPerMinute: e.TRIGGER_CALLS_PER_MINUTE,
    },
  };
}

/** DATA_KEY: 32 bytes as 64 hex digits or as base64 (e.g. `openssl rand -hex 32`). */
export function parseDataKey(v: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (key.length !== 32) throw new ConfigError('DATA_KEY must be 32 bytes: 64 hex digits or 44 base64 characters (openssl rand -hex 32)');
  return key;
}
