import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { buildApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config/config';
import { startServer, type RunningServer } from '../../src/server';
import { wire, type Wired } from '../../src/wiring';
import { testEnv } from '../../support/test-env';
import { recordServerFrame, takeFrameMismatches } from './asyncapi';

export const TOKENS = {
  admin: 'admin-token-0123456789abcdef',
  operator: 'operator-token-0123456789abcdef',
  viewer: 'viewer-token-0123456789abcdef',
} as const;
export type TokenRole = keyof typeof TOKENS;

export const auth = (role: TokenRole) => ({ Authorization: `Bearer ${TOKENS[role]}` });

const OPERATIONS_FILE = path.resolve(__dirname, '../../test-results/operations.txt');

/** Appends each contract operation a test made the service answer, for scripts/contract-coverage.js. */
function recordOperation(method: string, route: string): void {
  fs.mkdirSync(path.dirname(OPERATIONS_FILE), { recursive: true });
  fs.appendFileSync(OPERATIONS_FILE, `${method} ${route}\n`);
}

/** A port nothing listens on now (the kernel's pick for port 0, released at once). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// asyncapi.yaml is the truth of the WebSocket protocol as openapi.yaml is of REST: a frame a test service sent that
// breaks it fails the test in which it was sent (or, sent after the last test, the file's teardown).
afterEach(() => {
  const bad = takeFrameMismatches();
  if (bad.length > 0) throw new Error(`${bad.length} WebSocket frame(s) broke asyncapi.yaml:\n${bad.slice(0, 10).join('\n')}`);
});
afterAll(() => {
  const bad = takeFrameMismatches();
  if (bad.length > 0) throw new Error(`${bad.length} WebSocket frame(s) broke asyncapi.yaml:\n${bad.slice(0, 10).join('\n')}`);
});

/** Configuration as the process would read it, pointed at the isolated engine. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      DOCKER_HOST: testEnv().dockerHost,
      API_TOKENS: `test-admin:admin:${TOKENS.admin},test-operator:operator:${TOKENS.operator},test-viewer:viewer:${TOKENS.viewer}`,
      ALLOWED_REGISTRIES: `docker.io,${testEnv().registry},${testEnv().authRegistry}`,
      ALLOWED_ORIGINS: 'http://allowed.example',
      LOG_LEVEL: 'silent',
      PORT: '0',
      ...env,
    },
    () => 'unused-generated-token',
  );
}

export interface TestService {
  /** The service's HTTP handler (buildApp): the fast read path in front of the Express app. */
  app: RequestListener;
  services: Wired;
  config: Config;
  /** Listening on 127.0.0.1, port 0: for WebSocket clients and raw HTTP. */
  server: RunningServer;
  baseUrl: string;
  /** `ws://127.0.0.1:<port>/api/v1/ws`. */
  wsUrl: string;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * The real service against the isolated engine, with every response validated against openapi.yaml
 * (a response that breaks the contract becomes a 500 and fails the test that got it).
 */
export async function startService(env: Record<string, string> = {}, opts: { logger?: Logger } = {}): Promise<TestService> {
  const fixed = env.PORT !== undefined && env.PORT !== '0';
  // The console's own origin is configuration (PUBLIC_URL), so the port is chosen before the service is built. A
  // port found free can be taken before we listen (another worker, an outgoing connection): then try another.
  for (let attempt = 1; ; attempt++) {
    const port = fixed ? Number(env.PORT) : await freePort();
    const config = testConfig({ PUBLIC_URL: `http://127.0.0.1:${port}`, ...env, PORT: String(port) });
    const services = wire(config, opts.logger ?? pino({ level: 'silent' }));
    const app = buildApp(services, { validateResponses: true, onOperation: recordOperation });
    // Every WebSocket frame the service sends is checked against asyncapi.yaml; a test that got a wrong one fails.
    services.ws.observeFrames(recordServerFrame);
    try {
      const server = await startServer(app, port, '127.0.0.1', { '/api/v1/ws': services.ws }, config.server);
      return serviceOf(app, services, config, server);
    } catch (err) {
      await services.close();
      if (fixed || attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

function serviceOf(app: ReturnType<typeof buildApp>, services: Wired, config: Config, server: RunningServer): TestService {
  return {
    app,
    services,
    config,
    server,
    baseUrl: `http://127.0.0.1:${server.port}`,
    wsUrl: `ws://127.0.0.1:${server.port}/api/v1/ws`,
    http: request(app),
    close: async () => {
      await server.close();
      await services.close();
    },
  };
}
