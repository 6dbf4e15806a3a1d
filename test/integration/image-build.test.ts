import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/containers';
import { coldImage, testEnv } from '../../support/test-env';
import { waitFor } from '../helpers/wait-for';

/*
 * The shipped image, built from the unchanged Dockerfile on the test engine and run as the README says (the
 * engine's socket mounted, the socket's group added, the `node` user), then through compose.yaml with Debian's
 * docker-compose. node:20-bookworm-slim cannot be pulled here: scripts/node-stand-in.sh makes a local stand-in
 * of that name from this machine's node. The build uses `--network host`: the test engine runs with
 * --iptables=false (no NAT), so a build container on its bridge could not reach the npm registry for `npm ci`.
 * The image and its build stage are removed at the end: left on the shared engine, their hundreds of MB of layers
 * made every later /system/df slow enough to fail other tests' image lists.
 * This file owns cold/f (the spare): it pulls it and removes it.
 */
const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const IMAGE = 'dockhand-ci:test';
const DOCKER = '/usr/bin/docker';
const RUN_ID = `img${Date.now().toString(36)}`;
const TOKEN = `ci-admin-token-${RUN_ID}-0123456789`;
const PULLED = coldImage('f', '2');
const FIGURES = path.join(ROOT, 'test-results', 'image-build.json');

const env = () => ({ ...process.env, DOCKER_HOST: testEnv().dockerHost, DOCKER_BUILDKIT: '0' });
const docker = async (...args: string[]): Promise<string> =>
  (await run(DOCKER, args, { env: env(), cwd: ROOT, maxBuffer: 64 << 20, timeout: 600_000 })).stdout.trim();
const inspect = async (what: string, format: string): Promise<string> => docker('inspect', '-f', format, what);

/**
 * One HTTP call to the service through the published port. node:http with a timeout, not fetch: while the
 * container starts, docker-proxy accepts and then drops the connection, and undici's fetch was seen never to
 * settle on that (its promise pending, no handle left, the abort signal's timer never firing).
 */
function call(port: number, method: string, p: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        method,
        timeout: 30_000,
        headers: { Authorization: `Bearer ${TOKEN}`, ...(data === undefined ? {} : { 'Content-Type': 'application/json' }) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${p}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(data);
  });
}
const api = (port: number) => (method: string, p: string, body?: unknown) => call(port, method, p, body);

async function ready(port: number): Promise<void> {
  await waitFor(async () => (await call(port, 'GET', '/readyz').catch(() => undefined))?.status === 200, 30_000, 250);
}

async function healthy(container: string, ms: number): Promise<void> {
  await waitFor(async () => (await inspect(container, '{{.State.Health.Status}}')) === 'healthy', ms, 500);
}

const figures: Record<string, unknown> = {};
let stepClock = Date.now();
/** Seconds since the last step, kept in the figures: a slow step shows by name when a test times out. */
const step = (what: string) => {
  figures[`${what}Seconds`] = (Date.now() - stepClock) / 1000;
  stepClock = Date.now();
  fs.mkdirSync(path.dirname(FIGURES), { recursive: true });
  fs.writeFileSync(FIGURES, `${JSON.stringify(figures, null, 2)}\n`);
};

/**
 * better-sqlite3's prebuilt binding, as prebuild-install asks a mirror for it, made from this machine's own build
 * (the stand-in base shares this machine's node and glibc): the build cannot reach GitHub, and the slim base has no
 * compiler. The Dockerfile takes the mirror as the build argument npm_config_better_sqlite3_binary_host.
 */
async function sqliteBindingMirror(): Promise<{ url: string; close: () => void }> {
  const pkgDir = path.join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const file = `better-sqlite3-v${version}-node-v${process.versions.modules}-linux-${process.arch}.tar.gz`;
  const tarball = (await run('tar', ['-C', pkgDir, '-czf', '-', 'build/Release/better_sqlite3.node'], { encoding: 'buffer', maxBuffer: 64 << 20 }))
    .stdout as unknown as Buffer;
  const server = http.createServer((req, res) => {
    if (req.url === `/v${version}/${file}`) res.writeHead(200, { 'Content-Type': 'application/gzip' }).end(tarball);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

beforeAll(async () => {
  stepClock = Date.now();
  const t0 = Date.now();
  await run('bash', [path.join(ROOT, 'scripts/node-stand-in.sh')], { env: env(), cwd: ROOT, timeout: 120_000 });
  const t1 = Date.now();
  const mirror = await sqliteBindingMirror();
  try {
    await docker('build', '--network', 'host', '--build-arg', `npm_config_better_sqlite3_binary_host=${mirror.url}`, '-q', '-t', IMAGE, '.');
  } finally {
    mirror.close();
  }
  const t2 = Date.now();
  figures.standInSeconds = (t1 - t0) / 1000;
  figures.buildSeconds = (t2 - t1) / 1000;
  figures.imageBytes = Number(await inspect(IMAGE, '{{.Size}}'));
}, 900_000);

afterAll(async () => {
  await docker('image', 'rm', PULLED).catch(() => undefined);
  await docker('image', 'rm', IMAGE).catch(() => undefined);
  // The build stage's image is left untagged (dangling); this file runs last, on its own, so nothing else needs one.
  await docker('image', 'prune', '-f').catch(() => undefined);
  fs.mkdirSync(path.dirname(FIGURES), { recursive: true });
  fs.writeFileSync(FIGURES, `${JSON.stringify(figures, null, 2)}\n`);
}, 60_000);

describe('the shipped image, run as the README says', () => {
  const name = `dkh-image-${RUN_ID}`;
  const volume = `dkh-image-data-${RUN_ID}`;
  afterAll(async () => {
    await docker('rm', '-f', '-v', name).catch(() => undefined);
    await docker('volume', 'rm', volume).catch(() => undefined);
  }, 60_000);

  test('when run non-root with the socket and its group, then ready, it pulls and runs through the API, turns healthy, keeps DATA_DIR over a restart and exits 0 on SIGTERM', async () => {
    const gid = String(fs.statSync(testEnv().socketPath).gid);
    await docker(
      'run',
      '-d',
      '--name',
      name,
      '-p',
      '127.0.0.1::8080',
      '-v',
      `${testEnv().socketPath}:/var/run/docker.sock`,
      '--group-add',
      gid,
      '-e',
      `API_TOKENS=ci:admin:${TOKEN}`,
      '-e',
      `ALLOWED_REGISTRIES=${testEnv().registry},${testEnv().authRegistry}`,
      '-v',
      `${volume}:/data`,
      IMAGE,
    );
    const port = Number((await docker('port', name, '8080/tcp')).split(':').pop());
    const svc = api(port);
    const started = Date.now();
    await ready(port);
    step('runToReady');

    expect(await inspect(name, '{{.Config.User}}')).toBe('node');
    expect(await docker('exec', name, 'id', '-u')).toBe('1000');

    const pulled = await svc('POST', '/api/v1/images/pull?wait=true', { image: PULLED });
    expect({ status: pulled.status, error: pulled.body.error }).toEqual({ status: 200, error: null });
    step('pull');
    const created = await svc('POST', '/api/v1/containers', { image: PULLED, name: `${name}-child`, cmd: ['echo', 'from the image'] });
    expect(created.status).toBe(201);
    const childId = String(created.body.id);
    await waitFor(async () => (await inspect(childId, '{{.State.Status}}')) === 'exited', 20_000, 200);
    expect(await docker('logs', childId)).toBe('from the image');
    expect((await svc('DELETE', `/api/v1/containers/${childId}?force=true`)).status).toBe(204);
    step('childContainer');

    // The image's own HEALTHCHECK (interval 30 s): the first check runs 30 s after the start; on a loaded machine one
    // may miss its 3 s timeout (a node start-up each time), and the next comes 30 s later.
    await healthy(name, 120_000);
    figures.healthySeconds = (Date.now() - started) / 1000;
    step('waitHealthy');

    const login = await svc('POST', '/api/v1/registries', {
      serverAddress: testEnv().authRegistry,
      username: testEnv().authRegistryUser,
      password: testEnv().authRegistryPassword,
    });
    expect(login.status).toBe(201);
    await docker('restart', '-t', '20', name);
    const port2 = Number((await docker('port', name, '8080/tcp')).split(':').pop());
    await ready(port2);
    step('restartToReady');
    const after = await api(port2)('GET', '/api/v1/registries');
    expect(after.body.items).toEqual([expect.objectContaining({ id: login.body.id, serverAddress: testEnv().authRegistry })]);

    const stopAt = Date.now();
    await docker('stop', '-t', '20', name);
    figures.stopSeconds = (Date.now() - stopAt) / 1000;
    expect(await inspect(name, '{{.State.ExitCode}} {{.State.OOMKilled}}')).toBe('0 false');
  }, 240_000);
});

describe('compose.yaml with docker-compose', () => {
  const project = `dkhc${RUN_ID}`;
  let composeEnv: NodeJS.ProcessEnv;
  const compose = async (...args: string[]): Promise<string> =>
    (
      await run('docker-compose', ['-p', project, '-f', path.join(ROOT, 'compose.yaml'), ...args], { env: composeEnv, cwd: ROOT, timeout: 180_000 })
    ).stdout.trim();
  afterAll(async () => {
    await compose('down', '-v', '-t', '20').catch(() => undefined);
  }, 120_000);

  test('when brought up, then healthy with its restart policy, socket group and data volume, and the data survives down and up again', async () => {
    const port = await freePort();
    composeEnv = {
      ...env(),
      DOCKER_SOCKET: testEnv().socketPath,
      DOCKER_GID: String(fs.statSync(testEnv().socketPath).gid),
      DOCKHAND_PORT: String(port),
      DOCKHAND_IMAGE: IMAGE,
      API_TOKENS: `ci:admin:${TOKEN}`,
      ALLOWED_REGISTRIES: testEnv().authRegistry,
    };
    await compose('up', '-d', '--no-build');
    const id = await compose('ps', '-q', 'dockhand');
    await ready(port);
    expect(await inspect(id, '{{.HostConfig.RestartPolicy.Name}} {{.Config.User}} {{json .HostConfig.GroupAdd}}')).toBe(
      `unless-stopped node ["${composeEnv.DOCKER_GID}"]`,
    );
    await healthy(id, 60_000);

    const login = await api(port)('POST', '/api/v1/registries', {
      serverAddress: testEnv().authRegistry,
      username: testEnv().authRegistryUser,
      password: testEnv().authRegistryPassword,
    });
    expect(login.status).toBe(201);
    await compose('down', '-t', '20'); // the container goes, the named volume stays
    expect(await compose('ps', '-q')).toBe('');
    await compose('up', '-d', '--no-build');
    await ready(port);
    const after = await api(port)('GET', '/api/v1/registries');
    expect(after.body.items).toEqual([expect.objectContaining({ id: login.body.id })]);
  }, 240_000);
});
