import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifySignature } from '../../src/domain/webhooks/signature';
import { containerRun, engine, freePort } from '../helpers/containers';
import { auth, startService, type TestService } from '../helpers/service';
import { waitFor } from '../helpers/wait-for';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver';
import { seed } from '../../support/test-env';

jest.setTimeout(90_000);

const run = containerRun('webhooks');
const SECRET = 'a-webhook-secret-of-32-characters';
let svc: TestService;
let dataDir: string;
let fast: Receiver;
let slow: Receiver;
let late: Receiver | undefined;
let latePort: number;
let restartPort: number;
let afterRestart: Receiver | undefined;

/** Starts (and so fires a `start` event for) one container of this run; `sleep` ends on SIGTERM at once. */
async function startContainer(what: string): Promise<void> {
  const c = await engine().createContainer({
    name: run.name(what),
    Image: seed.web143(),
    Entrypoint: ['sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait'],
    Labels: run.labels,
  });
  await c.start();
}

const startsOfThisRun = { type: ['container'], action: ['start'], label: [`dockhand.test.run=${run.id}`] };
const createHook = (port: number, events: object = { engine: startsOfThisRun }, secret = SECRET) =>
  svc.http
    .post('/api/v1/webhooks')
    .set(auth('admin'))
    .send({ url: `http://127.0.0.1:${port}/hook`, secret, events });
const deliveriesOf = async (id: string, query: Record<string, string | number> = {}) => {
  const res = await svc.http.get(`/api/v1/webhooks/${id}/deliveries`).query(query).set(auth('admin'));
  expect(res.status).toBe(200);
  return res.body as {
    items: {
      id: string;
      status: string;
      attempts: number;
      lastError: string | null;
      responseStatus: number | null;
      latencyMs: number | null;
      kind: string;
    }[];
    next: string | null;
  };
};
const bodiesFor = (r: Receiver, container: string) => r.received.filter((x) => JSON.parse(x.body).data?.attributes?.name === container);

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-webhooks-'));
  fast = await startReceiver();
  slow = await startReceiver({ delayMs: 10_000 });
  latePort = await freePort();
  restartPort = await freePort();
  svc = await startService(serviceEnv());
});
/** The service's settings: the same at a restart on the same DATA_DIR. */
const serviceEnv = () => ({
  DATA_DIR: dataDir,
  ALLOWED_WEBHOOK_HOSTS: [
    `127.0.0.1:${fast.port}`,
    `127.0.0.1:${slow.port}`,
    `127.0.0.1:${latePort}`,
    `127.0.0.1:${restartPort}`,
    '169.254.169.254',
    'metadata.google.internal',
    '[fe80::1]',
    '0.0.0.0:80',
  ].join(','),
  WEBHOOK_RETRY_BASE_MS: '200',
  WEBHOOK_TIMEOUT_MS: '15000',
  WEBHOOK_QUEUE_SIZE: '4',
});
afterAll(async () => {
  await svc.close();
  await Promise.all([fast.close(), slow.close(), late?.close(), afterRestart?.close()]);
  await run.cleanup();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('webhook administration', () => {
  test('when an admin creates, reads, changes and deletes a webhook, then its secret is never answered and viewers are refused', async () => {
    const created = await createHook(fast.port, { jobs: { states: ['failed'] } });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/api/v1/webhooks/${created.body.id}`);
    expect(created.body).toMatchObject({ url: `http://127.0.0.1:${fast.port}/hook`, description: null, events: { jobs: { states: ['failed'] } } });
    expect(JSON.stringify(created.body)).not.toContain(SECRET);

    const got = await svc.http.get(`/api/v1/webhooks/${created.body.id}`).set(auth('admin'));
    expect(got.body).toEqual(created.body);
    const listed = await svc.http.get('/api/v1/webhooks').set(auth('admin'));
    expect(listed.body.items).toEqual(expect.arrayContaining([created.body]));
    expect(JSON.stringify(listed.body)).not.toContain(SECRET);
    expect((await svc.http.get('/api/v1/webhooks').set(auth('operator'))).status).toBe(403);

    const patched = await svc.http
      .patch(`/api/v1/webhooks/${created.body.id}`)
      .set(auth('admin'))
      .send({ description: 'CI', secret: 'another-secret-0123456789' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: created.body.id, description: 'CI' });
    expect(JSON.stringify(patched.body)).not.toContain('another-secret');

    expect((await svc.http.delete(`/api/v1/webhooks/${created.body.id}`).set(auth('admin'))).status).toBe(204);
    expect((await svc.http.get(`/api/v1/webhooks/${created.body.id}`).set(auth('admin'))).status).toBe(404);
    expect((await svc.http.get(`/api/v1/webhooks/${created.body.id}/deliveries`).set(auth('admin'))).status).toBe(404);

    const audit = await svc.http.get('/api/v1/audit').query({ operation: 'createWebhook', token: 'test-admin' }).set(auth('admin'));
    expect(audit.body.items.length).toBeGreaterThan(0);
  });

  test.each([
    ['a host not in ALLOWED_WEBHOOK_HOSTS', 'http://127.0.0.2:8080/x', 403],
    ['a listed host on a port not listed', 'http://127.0.0.1:1/x', 403],
    ['the metadata address, even listed', 'http://169.254.169.254/latest/meta-data', 403],
    ['a metadata name, even listed', 'http://metadata.google.internal/computeMetadata/v1', 403],
    ['a link-local IPv6 address, even listed', 'http://[fe80::1]/x', 403],
    ['the unspecified address, even listed', 'http://0.0.0.0/x', 403],
    ['a unix socket', 'http+unix://%2Fvar%2Frun%2Fdocker.sock/containers/json', 403],
    ['a file URL', 'file:///etc/passwd', 403],
    ['credentials in the URL', 'http://user:pw@127.0.0.1:1/x', 400],
  ])('when the URL is %s, then the webhook is refused', async (_what, url, status) => {
    const res = await svc.http
      .post('/api/v1/webhooks')
      .set(auth('admin'))
      .send({ url, secret: SECRET, events: { engine: {} } });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(status === 403 ? 'policy_denied' : 'invalid_request');
  });

  test('when a webhook asks for nothing or has a short secret, then it is refused', async () => {
    expect((await createHook(fast.port, {})).status).toBe(400);
    expect((await createHook(fast.port, { engine: {} }, 'short')).status).toBe(400);
  });
});

describe('deliveries', () => {
  test('when a container of the filter starts, then the receiver gets a signed JSON POST it can verify, recorded as succeeded', async () => {
    const hook = await createHook(fast.port);
    expect(hook.status).toBe(201);
    await startContainer('signed');
    await waitFor(async () => bodiesFor(fast, run.name('signed')).length === 1, 15_000);
    const [got] = bodiesFor(fast, run.name('signed'));
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['dockhand-event']).toBe('engine_event');
    expect(verifySignature(SECRET, String(got.headers['dockhand-signature']), got.body, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifySignature('not-the-secret-0123456789', String(got.headers['dockhand-signature']), got.body, Math.floor(Date.now() / 1000))).toBe(
      false,
    );
    expect(verifySignature(SECRET, String(got.headers['dockhand-signature']), `${got.body} `, Math.floor(Date.now() / 1000))).toBe(false);
    const body = JSON.parse(got.body);
    expect(body).toMatchObject({ kind: 'engine_event', data: { type: 'container', action: 'start', attributes: { name: run.name('signed') } } });

    await waitFor(async () => (await deliveriesOf(hook.body.id)).items[0]?.status === 'succeeded', 10_000);
    const [d] = (await deliveriesOf(hook.body.id)).items;
    expect(d).toMatchObject({
      id: got.headers['dockhand-delivery'],
      kind: 'engine_event',
      status: 'succeeded',
      attempts: 1,
      responseStatus: 204,
      lastError: null,
    });
    expect(d.latencyMs).toBeGreaterThanOrEqual(0);

    // Redelivered: the same body, a new delivery id, signed again.
    const again = await svc.http.post(`/api/v1/webhooks/${hook.body.id}/deliveries/${d.id}/redeliver`).set(auth('admin'));
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ webhookId: hook.body.id, status: 'pending', attempts: 0 });
    expect(again.body.id).not.toBe(d.id);
    await waitFor(async () => bodiesFor(fast, run.name('signed')).length === 2, 10_000);
    const second = bodiesFor(fast, run.name('signed'))[1];
    expect(second.body).toBe(got.body);
    expect(second.headers['dockhand-delivery']).toBe(again.body.id);
    expect(verifySignature(SECRET, String(second.headers['dockhand-signature']), second.body, Math.floor(Date.now() / 1000))).toBe(true);
    const missing = await svc.http
      .post(`/api/v1/webhooks/${hook.body.id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`)
      .set(auth('admin'));
    expect(missing.status).toBe(404);

    // Pages: one delivery per page, newest first, walking both.
    const first = await deliveriesOf(hook.body.id, { limit: 1 });
    expect(first.items[0].id).toBe(again.body.id);
    expect(first.next).toBe(again.body.id);
    const older = await deliveriesOf(hook.body.id, { limit: 1, before: first.next as string });
    expect(older.items.map((x) => x.id)).toEqual([d.id]);
    expect(older.next).toBeNull();
    await svc.http.delete(`/api/v1/webhooks/${hook.body.id}`).set(auth('admin'));
  });

  test('when the receiver is down, then the delivery is retried with backoff and succeeds once it is up', async () => {
    const hook = await createHook(latePort);
    expect(hook.status).toBe(201);
    await startContainer('late');
    await waitFor(async () => ((await deliveriesOf(hook.body.id)).items[0]?.attempts ?? 0) >= 2, 15_000);
    const failing = (await deliveriesOf(hook.body.id)).items[0];
    expect(failing).toMatchObject({ status: 'pending', responseStatus: null });
    expect(failing.lastError).toMatch(/ECONNREFUSED/);

    late = await startReceiver({ port: latePort });
    await waitFor(async () => (await deliveriesOf(hook.body.id)).items[0]?.status === 'succeeded', 30_000);
    const done = (await deliveriesOf(hook.body.id)).items[0];
    expect(done.attempts).toBeGreaterThan(failing.attempts);
    expect(done).toMatchObject({ responseStatus: 204, lastError: null });
    expect(bodiesFor(late, run.name('late'))).toHaveLength(1);
    expect(bodiesFor(late, run.name('late'))[0].headers['dockhand-delivery']).toBe(done.id);
    await svc.http.delete(`/api/v1/webhooks/${hook.body.id}`).set(auth('admin'));
  });

  test('when the service stops while a delivery is being retried, then the next start sends it again under its id until it succeeds', async () => {
    const hook = await createHook(restartPort);
    expect(hook.status).toBe(201);
    await startContainer('restart');
    await waitFor(async () => ((await deliveriesOf(hook.body.id)).items[0]?.attempts ?? 0) >= 1, 15_000);
    const before = (await deliveriesOf(hook.body.id)).items[0];
    expect(before).toMatchObject({ status: 'pending', responseStatus: null });

    await svc.close();
    svc = await startService(serviceEnv());
    afterRestart = await startReceiver({ port: restartPort });
    await waitFor(async () => (await deliveriesOf(hook.body.id)).items[0]?.status === 'succeeded', 30_000);
    const [done, ...others] = (await deliveriesOf(hook.body.id)).items;
    expect(others).toEqual([]);
    expect(done).toMatchObject({ id: before.id, responseStatus: 204, lastError: null });
    expect(done.attempts).toBeGreaterThan(before.attempts);
    const bodies = bodiesFor(afterRestart, run.name('restart'));
    expect(bodies).toHaveLength(1);
    expect(bodies[0].headers['dockhand-delivery']).toBe(before.id);
    expect(verifySignature(SECRET, String(bodies[0].headers['dockhand-signature']), bodies[0].body, Math.floor(Date.now() / 1000))).toBe(true);
    await svc.http.delete(`/api/v1/webhooks/${hook.body.id}`).set(auth('admin'));
  });

  test('when one receiver takes 10 s to answer, then another receiver and the events channel get every event without waiting, and the slow queue drops its oldest', async () => {
    const slowHook = await createHook(slow.port);
    const fastHook = await createHook(fast.port);
    expect([slowHook.status, fastHook.status]).toEqual([201, 201]);
    const names = [1, 2, 3, 4, 5, 6].map((i) => run.name(`burst${i}`));
    const t0 = Date.now();
    for (let i = 1; i <= 6; i++) await startContainer(`burst${i}`);
    const startedAll = Date.now() - t0;
    // Each start is at the fast receiver soon after the engine reports it, while the slow one holds its first POST.
    await waitFor(async () => names.every((n) => bodiesFor(fast, n).length === 1), 8000);
    const fastDone = Date.now() - t0;
    expect(fastDone - startedAll).toBeLessThan(8000);
    expect(slow.received.filter((r) => names.some((n) => r.body.includes(n))).length).toBe(1);
    const events = await svc.http
      .get('/api/v1/events')
      .query({ type: 'container', action: 'start', label: `dockhand.test.run=${run.id}`, limit: 1000 })
      .set(auth('viewer'));
    expect(events.status).toBe(200);
    const seen = events.body.items.map((e: { attributes: { name: string } }) => e.attributes.name);
    expect(seen).toEqual(expect.arrayContaining(names));

    // 6 starts into a queue of 4 behind one in flight: the oldest waiting one was dropped, and counted.
    const slowDeliveries = (await deliveriesOf(slowHook.body.id)).items;
    expect(slowDeliveries).toHaveLength(6);
    expect(slowDeliveries.filter((d) => d.status === 'dropped')).toHaveLength(1);
    const metrics = await svc.http.get('/metrics').set(auth('viewer'));
    expect(metrics.text).toMatch(/dockhand_webhook_deliveries_total\{outcome="dropped"\} [1-9]/);
    expect(metrics.text).toMatch(/dockhand_webhook_deliveries_total\{outcome="succeeded"\} [1-9]/);
    await svc.http.delete(`/api/v1/webhooks/${slowHook.body.id}`).set(auth('admin'));
    await svc.http.delete(`/api/v1/webhooks/${fastHook.body.id}`).set(auth('admin'));
  });
});
