import type { Delivery, StoredDelivery, Webhook, WebhookSender, WebhookStore } from '../../../src/domain/webhooks/webhook';
import { WebhookDispatcher } from '../../../src/domain/webhooks/webhook-dispatcher';
import { signature, verifySignature } from '../../../src/domain/webhooks/signature';
import { DomainError } from '../../../src/domain/errors';

/** An in-memory store: the dispatcher's bookkeeping is pure logic over it. */
function memoryStore(hooks: Webhook[], left: StoredDelivery[] = []): WebhookStore & { rows: Map<string, StoredDelivery> } {
  const rows = new Map<string, StoredDelivery>(left.map((d) => [d.id, { ...d }]));
  return {
    rows,
    create: () => undefined,
    update: () => undefined,
    list: () => hooks,
    get: (id) => hooks.find((h) => h.id === id),
    secretOf: (id) => (hooks.some((h) => h.id === id) ? 'unit-secret-0123456789' : undefined),
    remove: () => true,
    addDeliveries: (ds) => ds.forEach((d) => rows.set(d.id, { ...d })),
    updateDelivery: (d: Delivery) => rows.set(d.id, { ...(rows.get(d.id) as StoredDelivery), ...d }),
    deliveries: () => [...rows.values()],
    delivery: (_w, id) => rows.get(id),
    pendingDeliveries: () => [...rows.values()].filter((d) => d.status === 'pending').map((d) => ({ ...d })),
  };
}

const hook = (id: string): Webhook => ({
  id,
  url: `http://${id}.example/`,
  description: null,
  events: { engine: {} },
  createdAt: '2026-01-01T00:00:00Z',
});
const OPTS = { queueSize: 3, attemptTimeoutMs: 1000, retryForMs: 2000, baseDelayMs: 10, maxDelayMs: 40 };
const until = async (pred: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('WebhookDispatcher', () => {
  test('when a receiver never answers, then its lane keeps the newest deliveries, drops the oldest (counted), and the other lane delivers everything at once', async () => {
    const posts: string[] = [];
    const sender: WebhookSender = {
      check: async () => undefined,
      post: (url) => {
        posts.push(url);
        return url.includes('dead') ? new Promise(() => undefined) : Promise.resolve({ status: 200 });
      },
    };
    const store = memoryStore([hook('dead'), hook('live')]);
    let dropped = 0;
    const d = new WebhookDispatcher(store, sender, OPTS, { dropped: () => dropped++, ended: () => undefined }, () => undefined);
    // Events arrive one per turn of the event loop, as the engine's stream delivers them.
    for (let i = 0; i < 6; i++) {
      d.publish('engine_event', { i }, () => true);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => posts.filter((p) => p.includes('live')).length === 6);
    await until(() => [...store.rows.values()].filter((r) => r.webhookId === 'dead' && r.status === 'dropped').length === 2);
    expect(dropped).toBe(2);
    // The first is in flight; of the five after it, the two oldest were dropped.
    const dead = [...store.rows.values()].filter((r) => r.webhookId === 'dead');
    expect(dead.map((r) => [JSON.parse(r.payload).data.i, r.status])).toEqual([
      [0, 'pending'],
      [1, 'dropped'],
      [2, 'dropped'],
      [3, 'pending'],
      [4, 'pending'],
      [5, 'pending'],
    ]);
    d.close();
  });

  test('when a receiver answers 503 then 200, then the delivery is retried and recorded with its attempts; a 400 is not retried; a refused target is not retried', async () => {
    const answers: Record<string, number[]> = { flaky: [503, 503, 200], bad: [400, 200] };
    const sender: WebhookSender = {
      check: async () => undefined,
      post: async (url, headers, body) => {
        expect(verifySignature('unit-secret-0123456789', headers['Dockhand-Signature'], body, Math.floor(Date.now() / 1000))).toBe(true);
        if (url.includes('refused')) throw new DomainError('policy_denied', 'resolves to 169.254.169.254');
        return { status: (answers[new URL(url).hostname.split('.')[0]] ?? [200]).shift() ?? 200 };
      },
    };
    const store = memoryStore([hook('flaky'), hook('bad'), hook('refused')]);
    const d = new WebhookDispatcher(store, sender, OPTS, { dropped: () => undefined, ended: () => undefined }, () => undefined);
    d.publish('job', { id: 'j' }, () => true);
    await until(() => store.rows.size === 3 && [...store.rows.values()].every((r) => r.status !== 'pending'));
    const by = (id: string) => [...store.rows.values()].find((r) => r.webhookId === id);
    expect(by('flaky')).toMatchObject({ status: 'succeeded', attempts: 3, responseStatus: 200, lastError: null });
    expect(by('bad')).toMatchObject({ status: 'failed', attempts: 1, responseStatus: 400 });
    expect(by('refused')).toMatchObject({ status: 'failed', attempts: 1, responseStatus: null });
    d.close();
  });

  test('when retries run out of time, then the delivery fails with its last error', async () => {
    const sender: WebhookSender = { check: async () => undefined, post: async () => Promise.reject(new Error('connect ECONNREFUSED')) };
    const store = memoryStore([hook('down')]);
    const d = new WebhookDispatcher(
      store,
      sender,
      { ...OPTS, retryForMs: 100 },
      { dropped: () => undefined, ended: () => undefined },
      () => undefined,
    );
    d.publish('engine_event', {}, () => true);
    await until(() => [...store.rows.values()][0]?.status === 'failed');
    const [row] = store.rows.values();
    expect(row.attempts).toBeGreaterThan(1);
    expect(row.lastError).toMatch(/ECONNREFUSED/);
    d.close();
  });

  test('when the last run left deliveries pending, then those inside their retry window are sent again under their own id, and older ones fail', async () => {
    const left = (id: string, webhookId: string, ageMs: number): StoredDelivery => ({
      id,
      webhookId,
      kind: 'engine_event',
      status: 'pending',
      attempts: 2,
      responseStatus: 503,
      lastError: 'the receiver answered 503',
      latencyMs: 4,
      createdAt: new Date(Date.now() - ageMs).toISOString(),
      updatedAt: new Date().toISOString(),
      payload: `{"id":"${id}"}`,
    });
    const store = memoryStore(
      [hook('live')],
      [left('recent', 'live', 100), left('stale', 'live', OPTS.retryForMs + 1000), left('orphan', 'gone', 100)],
    );
    const posts: { body: string; delivery: string }[] = [];
    const sender: WebhookSender = {
      check: async () => undefined,
      post: async (_url, headers, body) => (posts.push({ body, delivery: headers['Dockhand-Delivery'] }), { status: 200 }),
    };
    new WebhookDispatcher(store, sender, OPTS, { dropped: () => undefined, ended: () => undefined }, () => undefined);
    await until(() => store.rows.get('recent')?.status === 'succeeded');
    expect(posts).toEqual([{ body: '{"id":"recent"}', delivery: 'recent' }]);
    expect(store.rows.get('recent')).toMatchObject({ attempts: 3, responseStatus: 200, lastError: null });
    expect(store.rows.get('stale')).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/retry window has passed/) });
    expect(store.rows.get('orphan')).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/webhook is gone/) });
  });

  test('backoff doubles from the base up to the cap, each with jitter between half and all of it', () => {
    const store = memoryStore([]);
    const sender: WebhookSender = { check: async () => undefined, post: async () => ({ status: 200 }) };
    const low = new WebhookDispatcher(
      store,
      sender,
      { ...OPTS, baseDelayMs: 100, maxDelayMs: 1000 },
      { dropped: () => undefined, ended: () => undefined },
      () => undefined,
      () => 0,
    );
    const high = new WebhookDispatcher(
      store,
      sender,
      { ...OPTS, baseDelayMs: 100, maxDelayMs: 1000 },
      { dropped: () => undefined, ended: () => undefined },
      () => undefined,
      () => 1,
    );
    expect([1, 2, 3, 4, 5, 10].map((n) => low.backoff(n))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 10].map((n) => high.backoff(n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('signature', () => {
  test('when signed, then verified with the secret only, for that body and a recent timestamp only', () => {
    const now = 1_800_000_000;
    const sig = signature('s3cret-0123456789', now, '{"a":1}');
    expect(sig).toMatch(/^t=1800000000,v1=[a-f0-9]{64}$/);
    expect(verifySignature('s3cret-0123456789', sig, '{"a":1}', now + 10)).toBe(true);
    expect(verifySignature('other-0123456789', sig, '{"a":1}', now)).toBe(false);
    expect(verifySignature('s3cret-0123456789', sig, '{"a":2}', now)).toBe(false);
    expect(verifySignature('s3cret-0123456789', sig, '{"a":1}', now + 301)).toBe(false);
    expect(verifySignature('s3cret-0123456789', 'garbage', '{"a":1}', now)).toBe(false);
  });
});
