import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { resolveReference } from '../../../src/domain/images/reference';
import { engine, removeImages } from '../../helpers/engine-images';
import { startProxiedService, type ProxiedService } from '../../helpers/proxied-service';
import { engineReads, invalidReference, validReference } from '../../helpers/reference-corpus';
import { auth } from '../../helpers/service';
import { seed, testEnv } from '../../../support/test-env';
import type { EngineRequest } from '../../helpers/engine-proxy';

// Issue 13.1 against the real engine: every operation that takes a reference, behind a recording proxy. Invalid
// references and references to registries outside ALLOWED_REGISTRIES make no engine call at all; for the allowed
// ones, the string the engine was actually sent (read off the wire) names the registry that was checked.
jest.setTimeout(120_000);
const SEED = 20261130;
const env = testEnv();
const run = Math.random().toString(36).slice(2, 8);
const tagged = `${env.registry}/dkh-ident-${run}/web`;

let p: ProxiedService;
let dataDir: string;
const figures: Record<string, number> = {};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-ident-'));
  // Only the open loopback registry: docker.io, localhost:<same port>, the htpasswd registry are all "other".
  p = await startProxiedService({ ALLOWED_REGISTRIES: env.registry, DATA_DIR: dataDir, RATE_LIMIT_PULLS_PER_MINUTE: '0' });
});
afterAll(async () => {
  await p?.close();
  await removeImages(`${tagged}:1`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`reference identity: ${JSON.stringify(figures)}`);
});

const enc = encodeURIComponent;
type Op = { name: string; send: (ref: string) => Promise<{ status: number; body: { code?: string } }> };
const http = () => p.svc.http;
const OPS: Op[] = [
  { name: 'pull', send: (r) => http().post('/api/v1/images/pull').set(auth('admin')).send({ image: r }) },
  {
    name: 'push',
    send: (r) =>
      http()
        .post(`/api/v1/images/${enc(r)}/push`)
        .set(auth('admin'))
        .send({}),
  },
  {
    name: 'tag source',
    send: (r) =>
      http()
        .post(`/api/v1/images/${enc(r)}/tag`)
        .set(auth('admin'))
        .send({ repository: 'dkh-ident/x', tag: '1' }),
  },
  {
    name: 'tag target',
    send: (r) =>
      http()
        .post(`/api/v1/images/${enc(seed.base())}/tag`)
        .set(auth('admin'))
        .send({ repository: r, tag: '1' }),
  },
  { name: 'create (pull missing)', send: (r) => http().post('/api/v1/containers').set(auth('admin')).send({ image: r, start: false }) },
  {
    name: 'create (pull always)',
    send: (r) => http().post('/api/v1/containers').set(auth('admin')).send({ image: r, pull: 'always', start: false }),
  },
  { name: 'create (pull never)', send: (r) => http().post('/api/v1/containers').set(auth('admin')).send({ image: r, pull: 'never', start: false }) },
  {
    name: 'inspect',
    send: (r) =>
      http()
        .get(`/api/v1/images/${enc(r)}`)
        .set(auth('admin')),
  },
  {
    name: 'history',
    send: (r) =>
      http()
        .get(`/api/v1/images/${enc(r)}/history`)
        .set(auth('admin')),
  },
  {
    name: 'remove',
    send: (r) =>
      http()
        .delete(`/api/v1/images/${enc(r)}`)
        .set(auth('admin')),
  },
];
/** The operations that make the engine contact a registry. */
const CONTACTING = ['pull', 'push', 'create (pull missing)', 'create (pull always)'];

async function callsOf<T>(fn: () => Promise<T>): Promise<{ result: T; calls: EngineRequest[] }> {
  return p.calls(fn);
}

describe('registry identity against the real engine', () => {
  test('when invalid references from the corpus go to every operation, then each is 400 and the engine is never called', async () => {
    const refs = fc.sample(invalidReference, { seed: SEED, numRuns: 60 });
    let cells = 0;
    const wrong: string[] = [];
    for (const op of OPS) {
      for (const ref of refs) {
        // 64 hex digits name an image by id where ids are accepted.
        if (/^[a-f0-9]{64}$/.test(ref) && !['pull', 'push', 'tag target'].includes(op.name)) continue;
        const { result, calls } = await callsOf(() => op.send(ref));
        cells++;
        if (result.status !== 400 || calls.length !== 0)
          wrong.push(`${op.name} ${JSON.stringify(ref)} → ${result.status} ${result.body.code}, ${calls.length} calls`);
      }
    }
    figures.invalidCells = cells;
    expect(wrong).toEqual([]);
    expect(cells).toBeGreaterThanOrEqual(500);
  });

  test.each(CONTACTING)('when %s names a registry outside ALLOWED_REGISTRIES, then 403 registry_not_allowed and no engine call', async (name) => {
    const op = OPS.find((o) => o.name === name) as Op;
    const port = env.registry.split(':')[1];
    const others = [
      'busybox',
      'docker.io/evil.com/app',
      'docker.io/127.0.0.1/seed/web:1.43',
      'index.docker.io/localhost/app',
      'registry-1.docker.io/library/busybox',
      'evil.example.com/app',
      `localhost:${port}/seed/web:1.43`,
      `LOCALHOST:${port}/seed/web:1.43`,
      `[::1]:${port}/seed/web:1.43`,
      `${env.authRegistry}/seed/web:1.43`,
      // Generated: valid references, none on the allowed registry (a push names a tag, never a digest).
      ...fc.sample(
        validReference.filter((r) => resolveReference(r).registry !== env.registry && (name !== 'push' || !r.includes('@'))),
        {
          seed: SEED,
          numRuns: 100,
        },
      ),
    ];
    const wrong: string[] = [];
    for (const ref of others) {
      const { result, calls } = await callsOf(() => op.send(ref));
      if (result.status !== 403 || result.body.code !== 'registry_not_allowed' || calls.length !== 0) {
        wrong.push(`${JSON.stringify(ref)} → ${result.status} ${result.body.code}, ${calls.length} calls`);
      }
    }
    figures[`notAllowed:${name}`] = others.length;
    expect(wrong).toEqual([]);
  });

  test('when an allowed image is pulled, tagged, pushed and created with pull, then the engine reads the checked registry from each string it was sent', async () => {
    const sent: string[] = [];
    const mark = p.engine.mark();
    const pull = await http().post('/api/v1/images/pull?wait=true').set(auth('admin')).send({ image: seed.base() });
    expect(pull.body.state).toBe('succeeded');
    const tag = await http()
      .post(`/api/v1/images/${enc(seed.base())}/tag`)
      .set(auth('admin'))
      .send({ repository: tagged, tag: '1' });
    expect(tag.status).toBe(201);
    const push = await http()
      .post(`/api/v1/images/${enc(`${tagged}:1`)}/push?wait=true`)
      .set(auth('admin'))
      .send({});
    expect(push.body.state).toBe('succeeded');
    const create = await http()
      .post('/api/v1/containers')
      .set(auth('admin'))
      .send({ image: `${tagged}:1`, pull: 'always', start: false, labels: { 'dockhand.test': run } });
    expect(create.status).toBe(201);
    await engine().getContainer(create.body.id).remove({ force: true });
    for (const r of p.engine.since(mark)) {
      const url = new URL(r.path, 'http://engine');
      const route = url.pathname.replace(/^\/v[0-9.]+/, '');
      if (route === '/images/create') sent.push(url.searchParams.get('fromImage') as string);
      const m = /^\/images\/(.+)\/(push|tag)$/.exec(route);
      if (m && m[2] === 'push') sent.push(decodeURIComponent(m[1]));
      if (m && m[2] === 'tag') sent.push(url.searchParams.get('repo') as string);
    }
    // pull, tag's repo, push, create's pull
    expect(sent.length).toBeGreaterThanOrEqual(4);
    for (const s of sent) expect(engineReads(s).registry).toBe(env.registry);
    figures.allowedEngineStrings = sent.length;
  });
});
