import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { auth, startService, type TestService } from '../helpers/service';
import { testEnv } from '../../support/test-env';

/** A unix socket that forwards to the isolated engine: the "engine" appears when it listens. */
function engineAt(socketPath: string): Promise<{ close(): Promise<void> }> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    const upstream = net.connect(testEnv().socketPath);
    client.pipe(upstream).pipe(client);
    // Either side going (an error, a close, or close() below destroying the client) takes the other with it: an
    // upstream left open to the engine kept the jest worker alive after the file ("failed to exit gracefully").
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const side of [client, upstream]) {
      side.on('error', end);
      side.on('close', end);
    }
  });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      server.close(() => resolve());
    });
  return new Promise((resolve) => server.listen(socketPath, () => resolve({ close })));
}

describe('when the engine is not there at start-up', () => {
  let dir: string;
  let svc: TestService;
  let socketPath: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-absent-'));
    socketPath = path.join(dir, 'docker.sock');
    svc = await startService({ DOCKER_HOST: `unix://${socketPath}` });
  });
  afterAll(async () => {
    await svc.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('then the service still starts, is alive, and not ready; engine calls answer 503 engine_unavailable', async () => {
    expect((await svc.http.get('/healthz')).status).toBe(200);
    const ready = await svc.http.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.code).toBe('engine_unavailable');
    const list = await svc.http.get('/api/v1/images').set(auth('viewer'));
    expect(list.status).toBe(503);
    expect(list.body.code).toBe('engine_unavailable');
  });

  test('then it becomes ready as soon as the engine comes up, without a restart', async () => {
    const engine = await engineAt(socketPath);
    try {
      const ready = await svc.http.get('/readyz').set(auth('viewer'));
      expect(ready.status).toBe(200);
      expect(ready.body.engine.apiVersion).toBe('1.41');
      expect((await svc.http.get('/api/v1/images').set(auth('viewer'))).status).toBe(200);
    } finally {
      await engine.close();
    }
  });
});

describe('when the engine hangs', () => {
  let dir: string;
  let svc: TestService;
  let silent: net.Server;
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-hung-'));
    const socketPath = path.join(dir, 'docker.sock');
    // Accepts connections and never answers, like a SIGSTOPped daemon.
    silent = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(socketPath, () => r()));
    svc = await startService({ DOCKER_HOST: `unix://${socketPath}`, ENGINE_TIMEOUT_MS: '300' });
  });
  afterAll(async () => {
    await svc.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('then requests end with 504 engine_timeout after the configured engine timeout, and /readyz is not ready', async () => {
    const list = await svc.http.get('/api/v1/images').set(auth('viewer'));
    expect(list.status).toBe(504);
    expect(list.body.code).toBe('engine_timeout');
    const ready = await svc.http.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.detail).toMatch(/did not answer/);
  });
});
