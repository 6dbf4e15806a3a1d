// Shared by test/ and bench/: what scripts/test-env.sh started, read from its env file.
import fs from 'node:fs';
import path from 'node:path';

/** Engine B: a second isolated dockerd on a unix socket of its own. */
export interface TestEngineB {
  /** `unix://…` */
  dockerHost: string;
  socketPath: string;
  pidFile: string;
}

/** Engine C: a third isolated dockerd listening only on tcp://127.0.0.1:port, with mutual TLS. */
export interface TestEngineC {
  /** `tcp://127.0.0.1:port` */
  dockerHost: string;
  host: string;
  port: number;
  /** The client's `ca.pem`, `cert.pem`, `key.pem` (what DOCKER_CERT_PATH names). */
  tlsDir: string;
  pidFile: string;
}

/** What scripts/test-env.sh started: the isolated engines and the loopback registries. */
export interface TestEnv {
  dockerHost: string;
  socketPath: string;
  dockerdPidFile: string;
  engineB: TestEngineB;
  engineC: TestEngineC;
  registry: string;
  registryPidFile: string;
  authRegistry: string;
  authRegistryUser: string;
  authRegistryPassword: string;
  envScript: string;
}

let cached: TestEnv | undefined;

export function testEnv(): TestEnv {
  if (cached) return cached;
  const dir = process.env.TEST_ENV_DIR ?? path.resolve(__dirname, '../.test-env');
  const file = path.join(dir, 'env');
  if (!fs.existsSync(file)) {
    throw new Error(`no test environment at ${file}: run the suite with \`npm test\` (it starts the isolated engine)`);
  }
  const vars: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) vars[line.slice(0, i)] = line.slice(i + 1);
  }
  const missing = ['TEST_ENGINE_B_HOST', 'TEST_ENGINE_B_PIDFILE', 'TEST_ENGINE_C_HOST', 'TEST_ENGINE_C_PIDFILE', 'TEST_ENGINE_C_TLS_DIR'].filter(
    (k) => !vars[k],
  );
  if (missing.length > 0) {
    throw new Error(
      `${file} lacks ${missing.join(', ')}: it was written by an older scripts/test-env.sh — run \`bash scripts/test-env.sh up\` again`,
    );
  }
  const engineC = new URL(vars.TEST_ENGINE_C_HOST.replace(/^tcp:/, 'https:'));
  cached = {
    dockerHost: vars.TEST_DOCKER_HOST,
    socketPath: vars.TEST_DOCKER_HOST.replace(/^unix:\/\//, ''),
    dockerdPidFile: vars.TEST_DOCKERD_PIDFILE,
    engineB: {
      dockerHost: vars.TEST_ENGINE_B_HOST,
      socketPath: vars.TEST_ENGINE_B_HOST.replace(/^unix:\/\//, ''),
      pidFile: vars.TEST_ENGINE_B_PIDFILE,
    },
    engineC: {
      dockerHost: vars.TEST_ENGINE_C_HOST,
      host: engineC.hostname,
      port: Number(engineC.port),
      tlsDir: vars.TEST_ENGINE_C_TLS_DIR,
      pidFile: vars.TEST_ENGINE_C_PIDFILE,
    },
    registry: vars.TEST_REGISTRY,
    registryPidFile: vars.TEST_REGISTRY_PIDFILE,
    authRegistry: vars.TEST_AUTH_REGISTRY,
    authRegistryUser: vars.TEST_AUTH_REGISTRY_USER,
    authRegistryPassword: vars.TEST_AUTH_REGISTRY_PASSWORD,
    envScript: vars.TEST_ENV_SCRIPT,
  };
  return cached;
}

/** The seed images scripts/test-env.sh pushed: two tags of one repository sharing base layers. */
export const seed = {
  web139: () => `${testEnv().registry}/seed/web:1.39`,
  web143: () => `${testEnv().registry}/seed/web:1.43`,
  base: () => `${testEnv().registry}/seed/base:1`,
};

/**
 * Images that exist only in the loopback registry (cold/a … cold/f, tags `1` and `2` sharing their base
 * and one layer, each repository with a base layer of its own). A test file that pulls owns one letter,
 * so its pulls are truly cold whatever other files do; it removes what it pulled when done.
 * Owners: a → images pull tests, b → images cancel/fault tests, c → containers, d → WebSocket job stream,
 * e → auth-registry / push tests, f → spare.
 */
export const coldImage = (letter: 'a' | 'b' | 'c' | 'd' | 'e' | 'f', tag: '1' | '2' = '1') => `${testEnv().registry}/cold/${letter}:${tag}`;
