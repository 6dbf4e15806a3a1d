import Docker from 'dockerode';
import fs from 'node:fs';
import pino from 'pino';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { verifySignature } from '../../src/domain/webhooks/signature';
import { containerRun, engine } from '../helpers/containers';
import { removeImages } from '../helpers/engine-images';
import { auth, startService, type TestService } from '../helpers/service';
import { buildVariant, dockerCli } from '../helpers/update-fixtures';
import { waitFor } from '../helpers/wait-for';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver';
import { seed, testEnv } from '../../support/test-env';

// This file owns the repository trg/web-<run> in the shared registry.
jest.setTimeout(120_000);
const env = testEnv();
const runId = randomBytes(4).toString('hex');
const repo = `${env.registry}/trg/web-${runId}`;
const ctr = containerRun('triggers');
const SECRET = 'trigger-test-webhook-secret-0123';
let svc: TestService;
let dataDir: string;
let cfg: string;
let receiver: Receiver;
let builtIds: string[] = [];
/** What the service logged: no line may carry a trigger's token. */
const logLines: string[] = [];

const waitJob = async (id: string) => {
  for (let i = 0; i < 1200; i++) {
    const res = await svc.http.get(`/api/v1/jobs/${id}`).set(auth('viewer'));
    if (['succeeded', 'failed', 'cancelled'].includes(res.body.state)) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not end`);
};
const createTrigger = (container: string, engine?: string) =>
  svc.http
    .post('/api/v1/triggers')
    .set(auth('admin'))
    .send({ container, ...(engine ? { engine } : {}) });
/** The test environment's second engine, configured as `edge-b`. */
const onB = () => new Docker({ socketPath: env.engineB.socketPath });
const onBNames: string[] = [];

beforeAll(async () => {
  cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-trg-cli-'));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-trg-data-'));
  receiver = await startReceiver();
  // Two versions of one application, as tags `1` and `2` of this file's own repository (built on the seed's).
  await dockerCli(['pull', seed.web139()], cfg);
  await dockerCli(['pull', seed.web143()], cfg);
  await buildVariant(seed.web139(), `${repo}:1`, runId, cfg);
  await buildVariant(seed.web143(), `${repo}:2`, runId, cfg);
  await dockerCli(['push', `${repo}:1`], cfg);
  await dockerCli(['push', `${repo}:2`], cfg);
  builtIds = [(await engine().getImage(`${repo}:1`).inspect()).Id, (await engine().getImage(`${repo}:2`).inspect()).Id];
  await removeImages(`${repo}:2`);
  svc = await startService(
    {
      DATA_DIR: dataDir,
      RECREATE_SETTLE_MS: '500',
      TRIGGER_CALLS_PER_MINUTE: '2',
      ALLOWED_WEBHOOK_HOSTS: `127.0.0.1:${receiver.port}`,
      ENGINES: `edge-b=${env.engineB.dockerHost}`,
      LOG_LEVEL: 'info',
    },
    { logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }) },
  );
});
afterAll(async () => {
  await ctr.cleanup();
  for (const name of onBNames)
    await onB()
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  for (const tag of ['1', '2'])
    await onB()
      .getImage(`${repo}:${tag}`)
      .remove({ force: true })
      .catch(() => undefined);
  await svc?.close();
  await receiver?.close();
  await removeImages(`${repo}:1`, `${repo}:2`, ...builtIds);
  fs.rmSync(cfg, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('inbound triggers', () => {
  test('when an admin creates a trigger, then its token is answered once: never listed, never stored in clear', async () => {
    const res = await createTrigger(ctr.name('once'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ action: 'redeploy', target: ctr.name('once') });
    expect(res.body.token).toMatch(/^dkt_[A-Za-z0-9_-]{43}$/);
    expect(res.body.url).toBe(`/api/v1/triggers/${res.body.token}`);
    const list = await svc.http.get('/api/v1/triggers').set(auth('admin'));
    expect(list.body.items).toEqual(
      expect.arrayContaining([{ id: res.body.id, action: 'redeploy', engine: 'default', target: ctr.name('once'), createdAt: res.body.createdAt }]),
    );
    expect(JSON.stringify(list.body)).not.toContain(res.body.token);
    const db = fs.readFileSync(path.join(dataDir, 'dockhand.db'));
    const wal = fs.existsSync(path.join(dataDir, 'dockhand.db-wal')) ? fs.readFileSync(path.join(dataDir, 'dockhand.db-wal')) : Buffer.alloc(0);
    expect(db.includes(res.body.token)).toBe(false);
    expect(wal.includes(res.body.token)).toBe(false);
    expect((await svc.http.get('/api/v1/triggers').set(auth('operator'))).status).toBe(403);
    expect((await svc.http.post('/api/v1/triggers').send({ container: 'x1' })).status).toBe(401);
    const nowhere = await createTrigger(ctr.name('nowhere'), 'no-such-engine');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.code).toBe('engine_not_found');
  });

  test('when the token is wrong or unknown, then the answer is the same 404, and the call is audited without the token', async () => {
    const { body } = await createTrigger(ctr.name('wrong'));
    const wrong = `${body.token.slice(0, -1)}${body.token.endsWith('A') ? 'B' : 'A'}`;
    const a = await svc.http.post(`/api/v1/triggers/${wrong}`).set('X-Request-Id', 'trg-wrong-1');
    const b = await svc.http.post(`/api/v1/triggers/dkt_${randomBytes(32).toString('base64url')}`);
    expect(a.status).toBe(404);
    expect(b.status).toBe(404);
    expect(a.body).toEqual(b.body);
    expect(a.body.instance).toBe('/api/v1/triggers/***');
    expect(a.headers['content-type']).toMatch(/^application\/problem\+json/);
    const audit = await svc.http.get('/api/v1/audit').query({ operation: 'fireTrigger', outcome: 'refused' }).set(auth('admin'));
    const row = audit.body.items.find((r: { requestId: string }) => r.requestId === 'trg-wrong-1');
    expect(row).toMatchObject({ token: null, target: null, status: 404 });
    expect(JSON.stringify(audit.body)).not.toContain(wrong);
    expect(logLines.some((l) => l.includes('"path":"/api/v1/triggers/***"'))).toBe(true);
    expect(logLines.filter((l) => l.includes(wrong) || l.includes(body.token))).toEqual([]);
  });

  test('when one trigger is called more than its budget, then it is refused 429 with Retry-After, and other triggers are not', async () => {
    const limited = await createTrigger(ctr.name('absent'));
    const other = await createTrigger(ctr.name('absent2'));
    const fire = (token: string) => svc.http.post(`/api/v1/triggers/${token}`);
    expect((await fire(limited.body.token)).status).toBe(404); // no such container: the call still counts
    expect((await fire(limited.body.token)).status).toBe(404);
    const third = await fire(limited.body.token);
    expect(third.status).toBe(429);
    expect(third.body.code).toBe('rate_limited');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect((await fire(other.body.token)).status).toBe(404);
  });

  test('when a trigger is called with a tag, then its container is recreated on that tag of its repository, the call and its outcome are audited, and a webhook hears the job', async () => {
    const hook = await svc.http
      .post('/api/v1/webhooks')
      .set(auth('admin'))
      .send({
        url: `http://127.0.0.1:${receiver.port}/ci`,
        secret: SECRET,
        events: { jobs: { states: ['succeeded', 'failed'], kinds: ['recreate'] } },
      });
    expect(hook.status).toBe(201);
    const name = ctr.name('app');
    const old = await engine().createContainer({
      name,
      Image: `${repo}:1`,
      Entrypoint: ['sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait'],
      Labels: ctr.labels,
    });
    await old.start();
    const trigger = await createTrigger(name);

    const bad = await svc.http.post(`/api/v1/triggers/${trigger.body.token}`).send({ tag: 'other/repo' });
    expect(bad.status).toBe(400);
    const res = await svc.http.post(`/api/v1/triggers/${trigger.body.token}`).set('X-Request-Id', 'trg-fire-1').send({ tag: '2' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'recreate', image: `${repo}:2`, createdBy: `trigger:${trigger.body.id}` });
    expect(res.headers.location).toBe(`/api/v1/jobs/${res.body.id}`);
    const job = await waitJob(res.body.id);
    expect(job.error).toBeNull();
    expect(job.state).toBe('succeeded');
    expect(job.result).toMatchObject({ oldId: old.id, name, pulled: true });

    const now = await engine().getContainer(name).inspect();
    expect(now.Id).toBe(job.result.newId);
    expect(now.Id).not.toBe(old.id);
    expect(now.State.Running).toBe(true);
    expect(now.Config.Image).toBe(`${repo}:2`);
    expect(now.Image).toBe(builtIds[1]);

    const calls = await svc.http.get('/api/v1/audit').query({ target: name }).set(auth('admin'));
    const ops = calls.body.items.map((r: { operation: string; token: string; outcome: string; requestId: string }) => [
      r.operation,
      r.token,
      r.outcome,
      r.requestId,
    ]);
    expect(ops).toEqual(
      expect.arrayContaining([
        ['fireTrigger', `trigger:${trigger.body.id}`, 'ok', 'trg-fire-1'],
        ['trigger.redeploy', `trigger:${trigger.body.id}`, 'ok', 'trg-fire-1'],
      ]),
    );

    await waitFor(async () => receiver.received.some((r) => JSON.parse(r.body).data?.id === job.id), 15_000);
    const got = receiver.received.find((r) => JSON.parse(r.body).data?.id === job.id);
    expect(got?.headers['dockhand-event']).toBe('job');
    expect(verifySignature(SECRET, String(got?.headers['dockhand-signature']), String(got?.body), Math.floor(Date.now() / 1000))).toBe(true);
    expect(JSON.parse(String(got?.body))).toMatchObject({
      kind: 'job',
      data: { state: 'succeeded', kind: 'recreate', createdBy: `trigger:${trigger.body.id}` },
    });

    // Deleted: the token opens nothing any more.
    expect((await svc.http.delete(`/api/v1/triggers/by-id/${trigger.body.id}`).set(auth('admin'))).status).toBe(204);
    expect((await svc.http.post(`/api/v1/triggers/${trigger.body.token}`)).status).toBe(404);
    expect((await svc.http.delete(`/api/v1/triggers/by-id/${trigger.body.id}`).set(auth('admin'))).status).toBe(404);
  });

  test('when a trigger names another engine, then its call redeploys the container there, and the job says which engine', async () => {
    const name = ctr.name('on-b');
    onBNames.push(name);
    await new Promise<void>((resolve, reject) =>
      onB().pull(`${repo}:1`, {}, (err: Error | null, stream?: NodeJS.ReadableStream) =>
        err || !stream
          ? reject(err ?? new Error('the engine answered the pull without a stream'))
          : onB().modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())),
      ),
    );
    const old = await onB().createContainer({
      name,
      Image: `${repo}:1`,
      Entrypoint: ['sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait'],
      Labels: ctr.labels,
    });
    await old.start();
    const trigger = await createTrigger(name, 'edge-b');
    expect(trigger.status).toBe(201);
    expect(trigger.body).toMatchObject({ engine: 'edge-b', target: name });

    const res = await svc.http.post(`/api/v1/triggers/${trigger.body.token}`).send({ tag: '2' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'recreate', engine: 'edge-b', image: `${repo}:2` });
    const job = await waitJob(res.body.id);
    expect(job.error).toBeNull();
    expect(job.state).toBe('succeeded');
    const now = await onB().getContainer(name).inspect();
    expect(now.Id).toBe(job.result.newId);
    expect(now.Id).not.toBe(old.id);
    expect(now.Config.Image).toBe(`${repo}:2`);
    // Nothing of that name on the default engine.
    await expect(engine().getContainer(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const audit = await svc.http.get('/api/v1/audit').query({ operation: 'trigger.redeploy', target: name }).set(auth('admin'));
    expect(audit.body.items).toEqual([expect.objectContaining({ engine: 'edge-b', outcome: 'ok' })]);
  });
});
