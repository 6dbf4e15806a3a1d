import fs from 'node:fs';
import pino from 'pino';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { auth, startService, type TestService } from '../helpers/service';
import { seed, testEnv } from '../../support/test-env';
import { engine, removeImages } from '../helpers/engine-images';
import { containerRun, freePort, httpGet } from '../helpers/containers';
import {
  buildVariant,
  dockerCli,
  getManifest,
  MANIFEST_LIST,
  MANIFEST_V2,
  moveTag,
  putManifestList,
  startOwnRegistry,
} from '../helpers/update-fixtures';

// This file owns the repositories upd/web-<run> (in the shared registries) and a registry of its own.
jest.setTimeout(60_000);
const env = testEnv();
const run = randomBytes(4).toString('hex');
const repo = `upd/web-${run}`;
const localOnly = `${env.registry}/upd/local-${run}:x`;
const at = (tag: string, registry = env.registry) => `${registry}/${repo}:${tag}`;
const enc = encodeURIComponent;

const ctr = containerRun('updates');
/** What the service logged: the audit lines of recreates are asserted. */
const logLines: string[] = [];
let svc: TestService;
let own: Awaited<ReturnType<typeof startOwnRegistry>>;
let cfg: string;
let dataDir: string;
let arch: string;
/** The ids of this file's own two images (built on the seed's), removed at the end with every name they got. */
let localA: string;
let localB: string;

const check = (ref: string, query = '') => svc.http.get(`/api/v1/images/${enc(ref)}/updates${query}`).set(auth('viewer'));
const pull = async (image: string, registry?: string) => {
  const res = await svc.http
    .post('/api/v1/images/pull?wait=true')
    .set(auth('operator'))
    .send({ image, ...(registry ? { registry } : {}) });
  expect(res.status).toBe(200);
};

beforeAll(async () => {
  cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-upd-cli-'));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-upd-data-'));
  own = await startOwnRegistry();
  // Two versions of one application, pushed as tags `a` and `b` of this file's own repository.
  await dockerCli(['pull', seed.web139()], cfg);
  await dockerCli(['pull', seed.web143()], cfg);
  for (const [tag, from] of [
    ['a', seed.web139()],
    ['b', seed.web143()],
  ]) {
    await buildVariant(from, at(tag), run, cfg);
    await dockerCli(['push', at(tag)], cfg);
  }
  await dockerCli(['tag', at('a'), at('a', own.host)], cfg);
  await dockerCli(['push', at('a', own.host)], cfg);
  await dockerCli(['login', '-u', env.authRegistryUser, '--password-stdin', env.authRegistry], cfg, env.authRegistryPassword);
  await dockerCli(['tag', at('a'), at('a', env.authRegistry)], cfg);
  await dockerCli(['push', at('a', env.authRegistry)], cfg);
  localA = (await engine().getImage(at('a')).inspect()).Id;
  localB = (await engine().getImage(at('b')).inspect()).Id;
  await removeImages(at('a'), at('b'));
  arch = (await engine().version()).Arch;
  svc = await startService(
    {
      DATA_DIR: dataDir,
      ALLOWED_REGISTRIES: `docker.io,${env.registry},${env.authRegistry},${own.host}`,
      RECREATE_SETTLE_MS: '1500',
      LOG_LEVEL: 'info',
    },
    { logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }) },
  );
});

afterAll(async () => {
  await ctr.cleanup();
  await svc?.close();
  await own?.stop();
  await removeImages(at('a'), at('b'), at('cur'), at('multi'), at('gone'), at('app'), localOnly, at('a', own.host), at('a', env.authRegistry));
  await removeImages(...[localA, localB].filter(Boolean));
  fs.rmSync(cfg, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /api/v1/images/{ref}/updates', () => {
  test('when the tag is re-pushed with another image after the pull, then up_to_date until a refresh says outdated, and a pull makes it up_to_date again', async () => {
    const digestA = await moveTag(env.registry, repo, 'a', 'cur');
    await pull(at('cur'));
    const first = await check(at('cur'));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      reference: at('cur'),
      status: 'up_to_date',
      localDigests: [`${env.registry}/${repo}@${digestA}`],
      remote: { digest: digestA, mediaType: MANIFEST_V2, via: 'registry' },
    });
    expect(Date.parse(first.body.checkedAt)).toBeGreaterThan(Date.now() - 60_000);

    const digestB = await moveTag(env.registry, repo, 'b', 'cur');
    const cached = await check(at('cur'));
    expect(cached.body).toMatchObject({ status: 'up_to_date', checkedAt: first.body.checkedAt });
    const refreshed = await check(at('cur'), '?refresh=true');
    expect(refreshed.body).toMatchObject({ status: 'outdated', remote: { digest: digestB }, localDigests: [`${env.registry}/${repo}@${digestA}`] });
    // The image list says the same from the cache alone (updates=true), for that tag's image only.
    const listed = await svc.http
      .get('/api/v1/images')
      .query({ reference: at('cur'), updates: true })
      .set(auth('viewer'));
    expect(listed.body.items).toEqual([
      expect.objectContaining({ update: { status: 'outdated', checkedAt: refreshed.body.checkedAt, reference: at('cur') } }),
    ]);
    const plain = await svc.http
      .get('/api/v1/images')
      .query({ reference: at('cur') })
      .set(auth('viewer'));
    expect(plain.body.items[0].update).toBeUndefined();

    await pull(at('cur'));
    const after = await check(at('cur'));
    expect(after.body.status).toBe('up_to_date');
    expect(after.body.localDigests).toEqual([`${env.registry}/${repo}@${digestB}`]);

    const metrics = await svc.http.get('/metrics').set(auth('viewer'));
    expect(metrics.text).toMatch(
      new RegExp(`dockhand_registry_update_lookups_total\\{registry="${env.registry.replace(/\./g, '\\.')}",via="registry",outcome="ok"\\} [2-9]`),
    );
  });

  test('when a hand-made manifest list is pulled by tag, then it is up_to_date (the index digest is compared, not the platform manifest)', async () => {
    const listDigest = await putManifestList(env.registry, repo, 'a', 'multi', arch);
    await pull(at('multi'));
    const res = await check(at('multi'), '?refresh=true');
    expect(res.body).toMatchObject({ status: 'up_to_date', remote: { digest: listDigest, mediaType: MANIFEST_LIST } });
    expect(res.body.localDigests).toContain(`${env.registry}/${repo}@${listDigest}`);
    const platform = await getManifest(env.registry, repo, 'a');
    expect(platform.digest).not.toBe(listDigest);
  });

  test('when the reference is pinned by digest, then not_applicable, with no registry call', async () => {
    const m = await getManifest(env.registry, repo, 'a');
    const res = await check(`${env.registry}/${repo}@${m.digest}`);
    expect(res.body).toMatchObject({ status: 'not_applicable', reason: 'digest_reference', remote: null });
  });

  test('when the local image was never pulled from that repository, then unknown / no_repo_digest', async () => {
    await dockerCli(['tag', localA, localOnly], cfg);
    const res = await check(localOnly);
    expect(res.body).toMatchObject({ status: 'unknown', reason: 'no_repo_digest', localDigests: [], remote: null });
  });

  test('when the tag is gone from the registry, then unknown / not_found', async () => {
    await dockerCli(['tag', localA, at('gone')], cfg);
    const res = await check(at('gone'), '?refresh=true');
    expect(res.body).toMatchObject({ status: 'unknown', reason: 'not_found', remote: null });
    expect(res.body.localDigests.length).toBeGreaterThan(0);
  });

  test('when the registry is not allowed, then 403 registry_not_allowed', async () => {
    const res = await check('127.0.0.2:5999/upd/nothing:1');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('registry_not_allowed');
  });

  test('when the image is not present locally, then 404 image_not_found', async () => {
    const res = await check(at('never-pulled'));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('image_not_found');
  });

  test('when the registry is stopped, then unknown / registry_unreachable', async () => {
    await pull(at('a', own.host));
    expect((await check(at('a', own.host), '?refresh=true')).body.status).toBe('up_to_date');
    await own.stop();
    const res = await check(at('a', own.host), '?refresh=true');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'unknown', reason: 'registry_unreachable', remote: null });
  });

  test('when the htpasswd registry has no stored login, then unknown / unauthorized; with one, up_to_date', async () => {
    const without = await check(at('a', env.authRegistry), '?refresh=true');
    expect(without.body).toMatchObject({ status: 'unknown', reason: 'unauthorized' });
    const stored = await svc.http
      .post('/api/v1/registries')
      .set(auth('admin'))
      .send({ serverAddress: env.authRegistry, username: env.authRegistryUser, password: env.authRegistryPassword });
    expect(stored.status).toBe(201);
    const withLogin = await check(at('a', env.authRegistry), '?refresh=true');
    expect(withLogin.body).toMatchObject({ status: 'up_to_date', remote: { via: 'registry' } });
    const byId = await check(at('a', env.authRegistry), `?refresh=true&registry=${stored.body.id}`);
    expect(byId.body.status).toBe('up_to_date');
  });
});

const waitJob = async (id: string) => {
  for (let i = 0; i < 600; i++) {
    const res = await svc.http.get(`/api/v1/jobs/${id}`).set(auth('viewer'));
    if (['succeeded', 'failed', 'cancelled'].includes(res.body.state)) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not end`);
};
const checkAll = async () => {
  const res = await svc.http.post('/api/v1/updates/check').set(auth('operator'));
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ kind: 'update_check', image: '*' });
  return waitJob(res.body.id);
};
const updateOf = async (id: string) => (await svc.http.get(`/api/v1/containers/${id}`).set(auth('viewer'))).body.update;
const listedUpdateOf = async (id: string) => {
  const res = await svc.http.get(`/api/v1/containers?all=true&updates=true&label=dockhand.test.run=${ctr.id}`).set(auth('viewer'));
  expect(res.status).toBe(200);
  return res.body.items.find((c: { id: string }) => c.id === id)?.update;
};

describe('containers and their update status', () => {
  let containerId: string;
  let hostPort: number;

  test('when a container runs a tag nobody checked yet, then its update is unknown with no checkedAt', async () => {
    await moveTag(env.registry, repo, 'a', 'app');
    await pull(at('app'));
    hostPort = await freePort();
    const res = await svc.http
      .post('/api/v1/containers')
      .set(auth('admin'))
      .send({
        image: at('app'),
        name: ctr.name('upd'),
        env: { GREETING: 'hello' },
        labels: { ...ctr.labels, tier: 'web' },
        ports: [{ containerPort: 80, hostPort }],
      });
    expect(res.status).toBe(201);
    containerId = res.body.id;
    expect(await updateOf(containerId)).toEqual({ status: 'unknown', checkedAt: null, reference: at('app') });
    expect(await httpGet(hostPort, 30)).toBe('seed web 1.39\n');
  });

  test('when every image in use is checked as a job, then the container is up_to_date, then outdated once the tag moves', async () => {
    const job = await checkAll();
    expect(job.state).toBe('succeeded');
    expect(job.steps.done).toBe(job.steps.total);
    expect(job.result.images).toEqual(expect.arrayContaining([expect.objectContaining({ reference: at('app'), status: 'up_to_date' })]));
    const up = await updateOf(containerId);
    expect(up).toMatchObject({ status: 'up_to_date', reference: at('app') });
    expect(up.checkedAt).not.toBeNull();
    expect(await listedUpdateOf(containerId)).toEqual(up);

    const digestB = await moveTag(env.registry, repo, 'b', 'app');
    const since = (await svc.http.get('/api/v1/events?limit=1').set(auth('viewer'))).body.lastSeq;
    const second = await checkAll();
    expect(second.result.outdated).toBeGreaterThanOrEqual(1);
    expect((await updateOf(containerId)).status).toBe('outdated');
    expect((await listedUpdateOf(containerId)).status).toBe('outdated');
    const events = await svc.http.get(`/api/v1/events?since=${since}&type=image&action=update_available`).set(auth('viewer'));
    expect(events.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'update_available', actorId: at('app'), attributes: expect.objectContaining({ remoteDigest: digestB }) }),
      ]),
    );
  });

  test('when the newer image is pulled, then the image is up_to_date and the old container recreate_pending (in inspect and in lists)', async () => {
    await pull(at('app'));
    expect((await check(at('app'))).body.status).toBe('up_to_date');
    expect((await updateOf(containerId)).status).toBe('recreate_pending');
    expect((await listedUpdateOf(containerId)).status).toBe('recreate_pending');
  });
});

describe('POST /api/v1/containers/{id}/recreate', () => {
  const inspectAsAdmin = async (ref: string) => (await svc.http.get(`/api/v1/containers/${ref}`).set(auth('admin'))).body;

  test('when a recreate with pull runs, then the replacement keeps name, ports, env and labels, serves the new version on the same port, and a retry answers the same job', async () => {
    const before = await inspectAsAdmin(ctr.name('upd'));
    expect(before.update.status).toBe('recreate_pending');
    const hostPort = before.ports.find((p: { containerPort: number }) => p.containerPort === 80).hostPort;
    const key = `recreate-${run}`;
    const res = await svc.http
      .post(`/api/v1/containers/${before.id}/recreate`)
      .set(auth('operator'))
      .set('Idempotency-Key', key)
      .send({ pull: true });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'recreate', image: at('app') });
    const retry = await svc.http
      .post(`/api/v1/containers/${before.id}/recreate`)
      .set(auth('operator'))
      .set('Idempotency-Key', key)
      .send({ pull: true });
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.id).toBe(res.body.id);
    const job = await waitJob(res.body.id);
    expect(job.error).toBeNull();
    expect(job.state).toBe('succeeded');
    expect(job.result).toMatchObject({ oldId: before.id, name: ctr.name('upd'), pulled: true });
    expect(job.steps.done).toBe(job.steps.total);

    const after = await inspectAsAdmin(ctr.name('upd'));
    expect(after.id).toBe(job.result.newId);
    expect(after.id).not.toBe(before.id);
    expect(after.state.running).toBe(true);
    expect(after.config.env).toEqual(expect.arrayContaining(['GREETING=hello', 'WEB_VERSION=1.43']));
    expect(after.config.env).not.toContain('WEB_VERSION=1.39');
    expect(after.config.labels).toMatchObject({ ...ctr.labels, tier: 'web', 'org.example.version': '1.43' });
    // The same bindings (the engine binds 0.0.0.0 and :: for one published port).
    expect(after.ports).toEqual(before.ports);
    expect(after.ports).toEqual(expect.arrayContaining([expect.objectContaining({ containerPort: 80, hostPort })]));
    expect(after.update.status).not.toBe('recreate_pending');
    expect(await httpGet(hostPort, 30)).toBe('seed web 1.43\n');
    expect((await svc.http.get(`/api/v1/containers/${before.id}`).set(auth('viewer'))).status).toBe(404);
    const audit = logLines.map((l) => JSON.parse(l)).find((l) => l.operation === 'container.recreate' && l.oldId === before.id);
    expect(audit).toMatchObject({ log: 'audit', newId: after.id, outcome: 'replaced' });
  });

  test('when the replacement exits at once, then it is rolled back: the old container has its name, runs and serves again, and the job fails with the reason', async () => {
    const before = await inspectAsAdmin(ctr.name('upd'));
    const hostPort = before.ports.find((p: { containerPort: number }) => p.containerPort === 80).hostPort;
    // The tag now names an image whose command (a shell with no input) ends at once.
    await dockerCli(['pull', seed.base()], cfg);
    await dockerCli(['tag', seed.base(), at('app')], cfg);
    const res = await svc.http
      .post(`/api/v1/containers/${ctr.name('upd')}/recreate`)
      .set(auth('operator'))
      .send({});
    expect(res.status).toBe(202);
    const job = await waitJob(res.body.id);
    expect(job.state).toBe('failed');
    expect(job.error.code).toBe('container_not_running');
    expect(job.error.message).toMatch(/put back/);

    const after = await inspectAsAdmin(ctr.name('upd'));
    expect(after.id).toBe(before.id);
    expect(after.name).toBe(ctr.name('upd'));
    expect(after.state.running).toBe(true);
    expect(await httpGet(hostPort, 30)).toBe('seed web 1.43\n');
    const mine = await svc.http.get(`/api/v1/containers?all=true&label=dockhand.test.run=${ctr.id}`).set(auth('viewer'));
    expect(mine.body.items.map((c: { id: string }) => c.id)).toEqual([before.id]);
    const audit = logLines
      .map((l) => JSON.parse(l))
      .find((l) => l.operation === 'container.recreate' && l.oldId === before.id && l.outcome === 'rolled_back');
    expect(audit).toMatchObject({ log: 'audit', code: 'container_not_running' });
    expect(typeof audit.newId).toBe('string');
  });

  test('when the container does not exist, then 404 container_not_found', async () => {
    const res = await svc.http.post('/api/v1/containers/no-such-container-upd/recreate').set(auth('operator')).send({});
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('container_not_found');
  });
});
