import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import type Docker from 'dockerode';
import { auth, startService, type TestService, type TokenRole } from '../../helpers/service';
import { engine, removeImages } from '../../helpers/engine-images';
import { testEnv } from '../../../support/test-env';
import { connectWs } from '../../helpers/ws';

// Issue 13, item 4: one redaction policy below admin (src/domain/auth/redaction.ts), checked as a matrix of
// secret-bearing field × read path × role against the real engine. Every secret is a unique string: below admin it
// must appear on no path; for an admin it must appear on every path that carries its field.
jest.setTimeout(120_000);

const run = randomBytes(4).toString('hex');
const S = {
  env: `envval-${run}`,
  cmd: `cmdarg-${run}`,
  entrypoint: `entryarg-${run}`,
  label: `labelval-${run}`,
  health: `healtharg-${run}`,
  exec: `execarg-${run}`,
  imageEnv: `imgenv-${run}`,
  imageLabel: `imglabel-${run}`,
};
const NAME = `dkh-redact-${run}`;
const IMAGE = `dkh-redact-${run}:1`;
const ROLES: TokenRole[] = ['viewer', 'operator', 'admin'];

/** Which secrets each path carries (what an admin must see there): the cells of the matrix. */
const PATHS: Record<string, (keyof typeof S)[]> = {
  'REST container inspect': ['env', 'cmd', 'entrypoint', 'label'],
  'REST container list': ['cmd', 'label'],
  'REST image inspect': ['imageEnv', 'imageLabel'],
  'REST image list': ['imageLabel'],
  // A committed image's history step has no createdBy (`docker commit` records none): no field to see here, for anyone.
  'REST image history': [],
  'GET /events': ['label', 'health', 'exec'],
  'WS events channel': ['label', 'health', 'exec'],
};

let svc: TestService;
let docker: Docker;
let containerId: string;
let startSeq: number;
const logLines: string[] = [];

beforeAll(async () => {
  docker = engine();
  // The audit trail is part of the matrix: every log line of the service is kept.
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (logLines.push(chunk.toString()), cb()) });
  svc = await startService({ LOG_LEVEL: 'info' }, { logger: pino({ level: 'info' }, sink) });
  startSeq = (await svc.http.get('/api/v1/events').set(auth('admin'))).body.lastSeq;
  // An image whose config holds a secret (env and label), made from the seed without network.
  const seed = await docker.createContainer({ Image: `${testEnv().registry}/seed/web:1.39`, Cmd: ['true'] });
  await seed.commit({ repo: IMAGE.split(':')[0], tag: '1', changes: [`ENV IMG_TOKEN=${S.imageEnv}`, `LABEL db.token=${S.imageLabel}`] } as object);
  await seed.remove({ force: true });
  // A container with a secret in each of its fields (the cmd secret is an argument `sh -c` hands to $0 and nobody
  // reads), and a health probe whose command carries one.
  const c = await docker.createContainer({
    name: NAME,
    Image: IMAGE,
    Entrypoint: ['sh', '-c', `echo ${S.entrypoint} >/dev/null; exec sleep 600`],
    Cmd: [S.cmd],
    Env: [`DB_PASSWORD=${S.env}`],
    Labels: { 'db.password': S.label, 'dockhand.redact-run': run },
    Healthcheck: { Test: ['CMD-SHELL', `echo ${S.health}`], Interval: 1_000_000_000, Timeout: 1_000_000_000, Retries: 1 },
  });
  containerId = c.id;
  await c.start();
  const exec = await svc.http
    .post(`/api/v1/containers/${containerId}/exec?wait=true`)
    .set(auth('admin'))
    .send({ cmd: ['sh', '-c', `echo ${S.exec} >/dev/null`] });
  expect(exec.status).toBe(200);
  // Wait until a health probe has run (its exec_start event carries its command).
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ev = await svc.http.get('/api/v1/events').query({ since: startSeq, container: containerId, limit: 500 }).set(auth('admin'));
    if (JSON.stringify(ev.body).includes(S.health)) break;
    if (Date.now() > deadline) throw new Error('no health probe event seen');
    await new Promise((r) => setTimeout(r, 300));
  }
});

afterAll(async () => {
  await docker
    .getContainer(NAME)
    .remove({ force: true })
    .catch(() => undefined);
  await removeImages(IMAGE);
  await svc.close();
});

/** Everything each path answers to `role`, as text. */
async function read(path: string, role: TokenRole): Promise<string> {
  const get = (url: string, query: Record<string, unknown> = {}) =>
    svc.http
      .get(url)
      .query(query)
      .set(auth(role))
      .then((r) => {
        expect(r.status).toBe(200);
        return JSON.stringify(r.body);
      });
  switch (path) {
    case 'REST container inspect':
      return get(`/api/v1/containers/${containerId}`);
    case 'REST container list':
      return get('/api/v1/containers', { name: NAME });
    case 'REST image inspect':
      return get(`/api/v1/images/${encodeURIComponent(IMAGE)}`);
    case 'REST image list':
      return get('/api/v1/images', { reference: IMAGE });
    case 'REST image history':
      return get(`/api/v1/images/${encodeURIComponent(IMAGE)}/history`);
    case 'GET /events':
      return get('/api/v1/events', { since: startSeq, container: containerId, limit: 500 });
    case 'WS events channel': {
      const sock = await connectWs(svc.wsUrl, role);
      try {
        sock.send({ type: 'subscribe', id: 'e', channel: 'events', since: startSeq, filters: { container: [containerId] } });
        await sock.waitFor((f) => f.type === 'subscribed');
        // The replay follows the subscribed frame at once; a moment more for live events.
        await new Promise((r) => setTimeout(r, 300));
        return JSON.stringify(sock.frames);
      } finally {
        sock.close();
      }
    }
  }
  throw new Error(`unknown path ${path}`);
}

test('when every secret-bearing field is read on every path by every role, then only an admin sees the secrets', async () => {
  const differing: string[] = [];
  let cells = 0;
  for (const path of Object.keys(PATHS)) {
    for (const role of ROLES) {
      const text = await read(path, role);
      for (const field of Object.keys(S) as (keyof typeof S)[]) {
        const carried = PATHS[path].includes(field);
        const seen = text.includes(S[field]);
        // Admins see what the path carries; below admin, no secret on any path.
        const expected = role === 'admin' ? carried : false;
        if (role !== 'admin' || carried) {
          cells++;
          if (seen !== expected) differing.push(`${path} × ${field} × ${role}: ${seen ? 'seen' : 'not seen'}`);
        }
      }
    }
  }
  console.log(
    `redaction matrix: ${cells} cells (8 fields × 7 paths × 3 roles, admin cells only where a path carries the field), ${differing.length} differing`,
  );
  expect(differing).toEqual([]);
});

test('when a viewer reads, then the shape stays: env names, the program, label keys and public label values', async () => {
  const c = (await svc.http.get(`/api/v1/containers/${containerId}`).set(auth('viewer'))).body;
  expect(c.envRedacted).toBe(true);
  expect(c.config.env).toContain('DB_PASSWORD=***');
  expect(c.config.entrypoint).toEqual(['sh', '***']);
  expect(c.config.cmd).toEqual(['***']);
  expect(c.config.labels).toMatchObject({ 'db.password': '***', 'dockhand.redact-run': run });
  const ev = (await svc.http.get('/api/v1/events').query({ since: startSeq, container: containerId, limit: 500 }).set(auth('viewer'))).body;
  const actions = (ev.items as { action: string }[]).map((e) => e.action);
  expect(actions).toContain('exec_create: sh ***');
});

test('when a viewer filters on a redacted label value, then 403 on the lists and nothing on the events; the key alone works', async () => {
  expect(
    (
      await svc.http
        .get('/api/v1/containers')
        .query({ label: `db.password=${S.label}` })
        .set(auth('viewer'))
    ).status,
  ).toBe(403);
  expect(
    (
      await svc.http
        .get('/api/v1/images')
        .query({ label: `db.token=${S.imageLabel}` })
        .set(auth('operator'))
    ).status,
  ).toBe(403);
  const byKey = await svc.http.get('/api/v1/containers').query({ label: 'db.password', name: NAME }).set(auth('viewer'));
  expect(byKey.body.items).toHaveLength(1);
  const ev = await svc.http
    .get('/api/v1/events')
    .query({ since: startSeq, label: `db.password=${S.label}` })
    .set(auth('viewer'));
  expect(ev.body.items).toEqual([]);
  const admin = await svc.http
    .get('/api/v1/containers')
    .query({ label: `db.password=${S.label}` })
    .set(auth('admin'));
  expect(admin.body.items).toHaveLength(1);
});

test('when an exec ran with a secret argument, then no log line of the service (audit included) carries it', () => {
  const all = logLines.join('');
  expect(all).toContain('"operation":"exec_run"');
  for (const secret of Object.values(S)) expect(all).not.toContain(secret);
});
