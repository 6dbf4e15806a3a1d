import https from 'node:https';
import fs from 'node:fs';
import Docker from 'dockerode';
import { engine as sharedEngine } from '../helpers/containers';
import { startPrivateEngine, type TlsPrivateEngine } from '../../support/private-engine';
import type { TlsFiles } from '../../support/tls-certs';

// support/private-engine.ts with { tls: true }: a private dockerd only on tcp://127.0.0.1 with mutual TLS, and
// pause()/resume() (SIGSTOP/SIGCONT by pid) for hang-isolation tests. Never the shared engines.
jest.setTimeout(120_000);

let engine: TlsPrivateEngine;
beforeAll(async () => {
  engine = await startPrivateEngine('pe-tls:1', { tls: true });
});
afterAll(async () => {
  await engine?.destroy();
});

function ping(tls: Partial<TlsFiles>, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: engine.host, port: engine.port, path: '/_ping', timeout: timeoutMs, agent: false, ...tls }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject)
      .on('timeout', function (this: import('node:http').ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

const dockerode = () => new Docker({ host: engine.host, port: engine.port, protocol: 'https', ...engine.tls, timeout: 2000 });

test('when started with { tls: true }, then it listens only on tcp://127.0.0.1:<port> and answers a client with the certificate', async () => {
  expect(engine.dockerHost).toBe(`tcp://127.0.0.1:${engine.port}`);
  const args = fs.readFileSync(`/proc/${engine.pid}/cmdline`, 'utf8').split('\0');
  expect(args.flatMap((a, i) => (a === '--host' ? [args[i + 1]] : []))).toEqual([engine.dockerHost]);
  expect(args).toContain('--tlsverify');
  expect(await ping(engine.tls)).toBe(200);
  expect(await engine.ping()).toBe(true);
});

test('when a client shows no certificate, then the private TLS engine refuses it', async () => {
  await expect(ping({ ca: engine.tls.ca })).rejects.toThrow(/alert|certificate|ECONNRESET|socket hang up/i);
});

test('when dockerode and the docker CLI use the client material, then both see the imported image', async () => {
  const tags = (await dockerode().listImages()).flatMap((i) => i.RepoTags ?? []);
  expect(tags).toContain('pe-tls:1');
  expect(engine.cli(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).toContain('pe-tls:1');
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) expect(fs.existsSync(`${engine.tlsDir}/${f}`)).toBe(true);
});

test("when asked GET /info, then its ID is its own, not the shared engine's", async () => {
  const [mine, shared] = await Promise.all([dockerode().info(), sharedEngine().info()]);
  expect(typeof mine.ID).toBe('string');
  expect(mine.ID).not.toBe(shared.ID);
});

test('when paused, then it stops answering (T state) until resumed, and then answers again', async () => {
  await engine.pause();
  try {
    expect(fs.readFileSync(`/proc/${engine.pid}/stat`, 'utf8').split(') ')[1][0]).toBe('T');
    expect(await engine.ping(1500)).toBe(false);
    await expect(dockerode().listImages()).rejects.toThrow();
  } finally {
    engine.resume();
  }
  expect(await engine.ping(10_000)).toBe(true);
  expect((await dockerode().listImages()).length).toBeGreaterThan(0);
});

test('when stopped while paused, then stop() still ends the process, and start() brings it back on the same data', async () => {
  const before = engine.pid;
  await engine.pause();
  await engine.stop();
  expect(() => process.kill(before, 0)).toThrow();
  await engine.start();
  expect(engine.pid).not.toBe(before);
  expect(await engine.ping()).toBe(true);
  expect((await dockerode().listImages()).flatMap((i) => i.RepoTags ?? [])).toContain('pe-tls:1');
});
