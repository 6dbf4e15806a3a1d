import Docker from 'dockerode';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { auth, startService, TOKENS, type TestService } from '../helpers/service';
import { connectWs, type TestSocket } from '../helpers/ws';
import { seed, testEnv } from '../../support/test-env';
import { startPrivateEngine, type PrivateEngine } from '../../support/private-engine';

/**
 * Several engines through one service, against real daemons: the test environment's second engine (its own socket
 * and bridge, `edge-b`), its third behind tcp://127.0.0.1 with mutual TLS (`edge-c`), and a private engine of this
 * file's own (`edge-p`) that is hung with SIGSTOP and stopped — never one another test uses.
 */
let svc: TestService;
let priv: PrivateEngine;
let dir: string;
const run = `eng-${Math.random().toString(36).slice(2, 8)}`;
const labels = { 'dockhand.test.run': run };
const ENGINE_TIMEOUT_MS = 4000;

const onB = () => new Docker({ socketPath: testEnv().engineB.socketPath });

beforeAll(async () => {
  priv = await startPrivateEngine('pe-busybox:1');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engines-'));
  const file = path.join(dir, 'engines.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      engines: [{ name: 'edge-c', host: testEnv().engineC.dockerHost, tlsCertPath: testEnv().engineC.tlsDir, labels: { site: 'tls' } }],
    }),
  );
  svc = await startService({
    ENGINE_TIMEOUT_MS: String(ENGINE_TIMEOUT_MS),
    ENGINES: `edge-b=${testEnv().engineB.dockerHost},edge-p=${priv.dockerHost}`,
    ENGINES_FILE: file,
    API_TOKENS: [
      `test-admin:admin:${TOKENS.admin}`,
      `test-operator:operator:${TOKENS.operator}`,
      `test-viewer:viewer:${TOKENS.viewer}`,
      `edge-only:operator:edge-only-token-0123456789:engines=edge-b`,
    ].join(','),
  });
}, 120_000);

afterAll(async () => {
  await svc?.close();
  const b = onB();
  for (const c of await b.listContainers({ all: true, filters: JSON.stringify({ label: [`dockhand.test.run=${run}`] }) })) {
    await b
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  if (priv) {
    // destroy() resumes a paused engine before it stops it.
    await priv.destroy();
  }
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

const edgeOnly = { Authorization: 'Bearer edge-only-token-0123456789' };

describe('engines: naming, state and scoped routes', () => {
  test('when the engines are listed, then each configured engine is there, up, with its version, API version, labels and swarm state; the TLS one too', async () => {
    const res = await svc.http.get('/api/v1/engines').set(auth('viewer'));
    expect(res.status).toBe(200);
    const byName = Object.fromEntries((res.body.items as { name: string; required: boolean }[]).map((e) => [e.name, e]));
    expect(Object.keys(byName)).toEqual(['default', 'edge-b', 'edge-p', 'edge-c']);
    for (const name of ['default', 'edge-b', 'edge-c']) {
      expect(byName[name]).toMatchObject({ status: 'up', apiVersion: expect.stringMatching(/^1\.\d+$/), swarm: 'inactive', error: null });
    }
    expect(byName.default.required).toBe(true);
    expect(byName['edge-c']).toMatchObject({ required: false, labels: { site: 'tls' } });
    const one = await svc.http.get('/api/v1/engines/edge-c').set(auth('viewer'));
    expect(one.status).toBe(200);
    expect(one.body.name).toBe('edge-c');
  });

  test('when an engine is not configured, then every engine path answers 404 engine_not_found, and `all` is not a name', async () => {
    for (const p of ['/api/v1/engines/nope', '/api/v1/engines/nope/images', '/api/v1/engines/nope/containers']) {
      const res = await svc.http.get(p).set(auth('viewer'));
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('engine_not_found');
    }
    expect((await svc.http.get('/api/v1/engines/all').set(auth('viewer'))).body.code).toBe('engine_not_found');
  });

  test('when a container is created on edge-b through its path, then it is there and only there, and the fleet view lists it with its engine', async () => {
    const name = `${run}-web`;
    const created = await svc.http
      .post('/api/v1/engines/edge-b/containers')
      .set(auth('admin'))
      .send({ image: seed.web143(), name, labels, start: false });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // The engine itself has it; the default engine does not.
    expect((await onB().getContainer(id).inspect()).Name).toBe(`/${name}`);
    expect((await svc.http.get(`/api/v1/containers/${name}`).set(auth('viewer'))).status).toBe(404);
    expect((await svc.http.get(`/api/v1/engines/edge-b/containers/${name}`).set(auth('viewer'))).body.id).toBe(id);
    // The same path without the engine is the default engine's, byte for byte the same as its explicit form.
    const plain = await svc.http
      .get('/api/v1/containers')
      .query({ all: true, label: `dockhand.test.run=${run}` })
      .set(auth('viewer'));
    const explicit = await svc.http
      .get('/api/v1/engines/default/containers')
      .query({ all: true, label: `dockhand.test.run=${run}` })
      .set(auth('viewer'));
    expect(plain.text).toBe(explicit.text);
    const fleet = await svc.http
      .get('/api/v1/engines/all/containers')
      .query({ all: true, label: `dockhand.test.run=${run}` })
      .set(auth('viewer'));
    expect(fleet.status).toBe(200);
    expect(fleet.body.items).toEqual([expect.objectContaining({ engine: 'edge-b', id })]);
    expect(fleet.body.missing).toEqual([]);
    const images = await svc.http.get('/api/v1/engines/all/images').query({ reference: seed.web143() }).set(auth('viewer'));
    expect(images.status).toBe(200);
    const engines = (images.body.items as { engine: string }[]).map((i) => i.engine);
    expect(engines).toEqual(expect.arrayContaining(['edge-b', 'edge-c']));
  });

  test('when a pull runs on edge-c (mutual TLS), then the job carries its engine, is listed by it, and the image lands on that engine', async () => {
    const started = await svc.http.post('/api/v1/engines/edge-c/images/pull').set(auth('operator')).send({ image: seed.web139() });
    expect(started.status).toBe(202);
    expect(started.body.engine).toBe('edge-c');
    const id = started.body.id as string;
    let job = started.body;
    for (let i = 0; i < 200 && !['succeeded', 'failed'].includes(job.state); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await svc.http.get(`/api/v1/jobs/${id}`).set(auth('viewer'))).body;
    }
    expect(job.state).toBe('succeeded');
    const listed = await svc.http.get('/api/v1/jobs').query({ engine: 'edge-c' }).set(auth('viewer'));
    expect((listed.body.items as { id: string }[]).map((j) => j.id)).toContain(id);
    const other = await svc.http.get('/api/v1/jobs').query({ engine: 'edge-b' }).set(auth('viewer'));
    expect((other.body.items as { id: string }[]).map((j) => j.id)).not.toContain(id);
    expect((await svc.http.get(`/api/v1/engines/edge-c/images/${encodeURIComponent(seed.web139())}`).set(auth('viewer'))).status).toBe(200);
  });
});

describe('engines: events fan in', () => {
  let sock: TestSocket;
  afterEach(() => sock?.close());

  test('when events of every engine are asked for, then edge-b events arrive with their engine in the one sequence; a default subscription does not see them', async () => {
    sock = await connectWs(svc.wsUrl, 'viewer', {}, ['dockhand.v1']);
    sock.send({
      type: 'subscribe',
      id: 'all',
      channel: 'events',
      filters: { engine: ['*'], type: ['container'], label: [`dockhand.test.run=${run}`] },
    });
    sock.send({ type: 'subscribe', id: 'def', channel: 'events', filters: { type: ['container'], label: [`dockhand.test.run=${run}`] } });
    await sock.waitFor((f) => f.id === 'all' && f.type === 'subscribed');
    await sock.waitFor((f) => f.id === 'def' && f.type === 'subscribed');
    const name = `${run}-ev`;
    const created = await svc.http
      .post('/api/v1/engines/edge-b/containers')
      .set(auth('admin'))
      .send({ image: seed.web143(), name, labels, start: false });
    expect(created.status).toBe(201);
    const ev = await sock.waitFor((f) => f.id === 'all' && f.type === 'event' && (f.data as { actorId: string }).actorId === created.body.id);
    expect(ev.data).toMatchObject({ engine: 'edge-b', type: 'container', action: 'create' });
    // The REST view of edge-b holds it under the same number.
    const held = await svc.http
      .get('/api/v1/engines/edge-b/events')
      .query({ type: 'container', label: `dockhand.test.run=${run}` })
      .set(auth('viewer'));
    expect((held.body.items as { seq: number }[]).map((e) => e.seq)).toContain(ev.seq);
    expect(sock.frames.some((f) => f.id === 'def' && f.type === 'event')).toBe(false);
  });

  test('when an engine the token may not use is asked for, then the subscription is refused with engine_not_found', async () => {
    sock = await connectWs(svc.wsUrl, null, { headers: edgeOnly }, ['dockhand.v1']);
    sock.send({ type: 'subscribe', id: 'x', channel: 'events', filters: { engine: ['default'] } });
    const err = await sock.waitFor((f) => f.id === 'x' && f.type === 'error');
    expect((err.data as { code: string }).code).toBe('engine_not_found');
    sock.send({ type: 'subscribe', id: 'logs', channel: 'logs', engine: 'edge-c', container: 'whatever' });
    expect(((await sock.waitFor((f) => f.id === 'logs' && f.type === 'error')).data as { code: string }).code).toBe('engine_not_found');
  });
});

describe('engines: per-token scope', () => {
  test('when a token names its engines, then other engines are 404 to it everywhere: plain paths, engine paths, lists and fleet views', async () => {
    const list = await svc.http.get('/api/v1/engines').set(edgeOnly);
    expect((list.body.items as { name: string }[]).map((e) => e.name)).toEqual(['edge-b']);
    expect((await svc.http.get('/api/v1/images').set(edgeOnly)).body.code).toBe('engine_not_found');
    expect((await svc.http.get('/api/v1/engines/edge-c/images').set(edgeOnly)).status).toBe(404);
    expect((await svc.http.get('/api/v1/engines/edge-b/images').set(edgeOnly)).status).toBe(200);
    const fleet = await svc.http.get('/api/v1/engines/all/images').set(edgeOnly);
    expect(new Set((fleet.body.items as { engine: string }[]).map((i) => i.engine))).toEqual(new Set(['edge-b']));
    expect((await svc.http.get('/api/v1/engines/all/images').query({ engine: 'edge-c' }).set(edgeOnly)).status).toBe(404);
    const ready = await svc.http.get('/readyz').set(edgeOnly);
    expect((ready.body.engines as { name: string }[]).map((e) => e.name)).toEqual(['edge-b']);
  });
});

describe('engines: isolation (one hung or stopped engine)', () => {
  test('when edge-p hangs (SIGSTOP), then the default engine answers as fast as before, the fleet view names edge-p missing, /engines says down, /readyz stays ready', async () => {
    const timed = async (p: string) => {
      const t0 = performance.now();
      const res = await request(svc.app).get(p).set(auth('viewer')).set('Cache-Control', 'no-cache');
      return { res, ms: performance.now() - t0 };
    };
    // Warm the pool of each engine, then hang edge-p.
    expect((await timed('/api/v1/engines/edge-p/containers')).res.status).toBe(200);
    await priv.pause();
    try {
      const reads: number[] = [];
      for (let i = 0; i < 10; i++) {
        const { res, ms } = await timed('/api/v1/images');
        expect(res.status).toBe(200);
        reads.push(ms);
      }
      // Generous on a loaded 2-core machine: the hung engine's own timeout is 4 s, and not one read waits for it.
      expect(Math.max(...reads)).toBeLessThan(ENGINE_TIMEOUT_MS / 2);
      const { res: fleet, ms } = await timed('/api/v1/engines/all/containers');
      expect(fleet.status).toBe(200);
      expect(fleet.body.missing).toEqual([expect.objectContaining({ engine: 'edge-p', code: 'engine_timeout' })]);
      expect(ms).toBeLessThan(ENGINE_TIMEOUT_MS + 3000);
      const engines = await svc.http.get('/api/v1/engines').set(auth('viewer'));
      expect((engines.body.items as { name: string; status: string }[]).find((e) => e.name === 'edge-p')?.status).toBe('down');
      expect((await svc.http.get('/readyz')).status).toBe(200);
    } finally {
      priv.resume();
    }
  }, 60_000);

  test('when edge-p stops, then an `engine disconnected` event says so on the events channel, and `connected` when it is back', async () => {
    const sock = await connectWs(svc.wsUrl, 'viewer', {}, ['dockhand.v1']);
    try {
      sock.send({ type: 'subscribe', id: 'eng', channel: 'events', filters: { engine: ['*'], type: ['engine'] } });
      await sock.waitFor((f) => f.id === 'eng' && f.type === 'subscribed');
      // The fan-in opens every engine's stream on first use: edge-p is connected once its `connected` event is held.
      svc.services.events.subscribe({ type: ['engine'] }, undefined, () => undefined).unsubscribe();
      for (let i = 0; i < 100 && !svc.services.events.isConnected('edge-p'); i++) await new Promise((r) => setTimeout(r, 100));
      await priv.stop();
      const down = await sock.waitFor((f) => f.id === 'eng' && (f.data as { action?: string })?.action === 'disconnected', 20_000);
      expect(down.data).toMatchObject({ engine: 'edge-p', type: 'engine', actorId: 'edge-p' });
      await priv.start();
      await sock.waitFor((f) => f.id === 'eng' && f.seq > down.seq && (f.data as { action?: string })?.action === 'connected', 30_000);
      expect((await svc.http.get('/api/v1/engines/edge-p').set(auth('viewer'))).body.status).toBe('up');
    } finally {
      sock.close();
    }
  }, 90_000);
});

describe('engines: metrics', () => {
  test('when metrics are scraped, then dockhand_engine_up has one series per engine and engine calls carry their engine', async () => {
    const text = (await svc.http.get('/metrics').set(auth('admin'))).text;
    for (const e of ['default', 'edge-b', 'edge-c', 'edge-p']) expect(text).toMatch(new RegExp(`^dockhand_engine_up\\{engine="${e}"\\} [01]$`, 'm'));
    expect(text).toMatch(/^dockhand_engine_up\{engine="edge-c"\} 1$/m);
    expect(text).toMatch(/dockhand_engine_call_duration_seconds_count\{engine="edge-b",/);
  });
});
