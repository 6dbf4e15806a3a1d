import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { containerRun, engine } from '../helpers/containers';
import { auth, startService, type TestService } from '../helpers/service';
import { seed } from '../../support/test-env';

jest.setTimeout(60_000);

const run = containerRun('audit');
let svc: TestService;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-audit-'));
  svc = await startService({ DATA_DIR: dataDir });
});
afterAll(async () => {
  await svc.close();
  await run.cleanup();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /api/v1/audit', () => {
  test('when an operator stops a container, then the trail answers who stopped it, with role, outcome and request id', async () => {
    const name = run.name('stopme');
    const c = await engine().createContainer({ name, Image: seed.web143(), Entrypoint: ['sh', '-c', 'sleep 600'], Labels: run.labels });
    await c.start();
    const stop = await svc.http
      .post(`/api/v1/containers/${name}/stop`)
      .query({ timeout: 0 })
      .set(auth('operator'))
      .set('X-Request-Id', 'req-audit-1');
    expect(stop.status).toBe(200);
    const refused = await svc.http.post(`/api/v1/containers/${name}/start`).set(auth('viewer'));
    expect(refused.status).toBe(403);

    const res = await svc.http.get('/api/v1/audit').query({ target: name }).set(auth('admin'));
    expect(res.status).toBe(200);
    expect(res.body.next).toBeNull();
    expect(res.body.items).toHaveLength(2);
    const [start, stopped] = res.body.items; // newest first
    expect(stopped).toMatchObject({
      token: 'test-operator',
      role: 'operator',
      engine: 'default',
      operation: 'stopContainer',
      target: name,
      outcome: 'ok',
      status: 200,
      requestId: 'req-audit-1',
    });
    expect(start).toMatchObject({ token: 'test-viewer', role: 'viewer', operation: 'startContainer', outcome: 'refused', status: 403 });
    expect(Date.parse(stopped.time)).toBeGreaterThan(Date.now() - 120_000);

    const who = await svc.http
      .get('/api/v1/audit')
      .query({ operation: 'stopContainer', outcome: 'ok', token: 'test-operator', since: stopped.time })
      .set(auth('admin'));
    expect(who.body.items.map((r: { target: string }) => r.target)).toContain(name);
    const before = await svc.http.get('/api/v1/audit').query({ target: name, until: stopped.time }).set(auth('admin'));
    expect(before.body.items).toEqual([]);
  });

  test('when 10,000 rows are held, then cursor pages walk all of them once, newest first, and filters hold across pages', async () => {
    for (let i = 0; i < 10_000; i++) {
      svc.services.audit.record({
        token: i % 2 ? 'bulk-a' : 'bulk-b',
        role: 'operator',
        engine: 'default',
        operation: 'restartContainer',
        target: `bulk-${i}`,
        outcome: 'ok',
        status: 204,
        requestId: `bulk-req-${i}`,
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: Record<string, string | number> = { operation: 'restartContainer', limit: 1000 };
      if (cursor) q.cursor = cursor;
      const res = await svc.http.get('/api/v1/audit').query(q).set(auth('admin'));
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((r: { target: string }) => r.target));
      cursor = res.body.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(10);
    expect(seen).toHaveLength(10_000);
    expect(new Set(seen).size).toBe(10_000);
    expect(seen[0]).toBe('bulk-9999');
    expect(seen[9999]).toBe('bulk-0');

    const onlyA = await svc.http.get('/api/v1/audit').query({ token: 'bulk-a', limit: 1000 }).set(auth('admin'));
    expect(onlyA.body.items.every((r: { token: string }) => r.token === 'bulk-a')).toBe(true);
    const second = await svc.http.get('/api/v1/audit').query({ token: 'bulk-a', limit: 1000, cursor: onlyA.body.next }).set(auth('admin'));
    expect(second.body.items).toHaveLength(1000);
    expect(second.body.items[0].id).toBeLessThan(onlyA.body.items[999].id);
  });

  test('when a non-admin asks, or the cursor is not ours, then it is refused', async () => {
    expect((await svc.http.get('/api/v1/audit').set(auth('operator'))).status).toBe(403);
    const bad = await svc.http.get('/api/v1/audit').query({ cursor: 'bm90LWEtbnVtYmVy' }).set(auth('admin'));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_request');
  });

  test('when the service restarts, then the rows are still there', async () => {
    const again = await startService({ DATA_DIR: dataDir });
    try {
      const res = await again.http.get('/api/v1/audit').query({ target: 'bulk-42' }).set(auth('admin'));
      expect(res.body.items).toEqual([expect.objectContaining({ token: 'bulk-b', requestId: 'bulk-req-42' })]);
    } finally {
      await again.close();
    }
  });
});
