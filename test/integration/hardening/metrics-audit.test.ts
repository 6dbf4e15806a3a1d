import pino from 'pino';
import { Writable } from 'node:stream';
import { engine } from '../../helpers/engine-images';
import { auth } from '../../helpers/service';
import { startProxiedService, type ProxiedService } from '../../helpers/proxied-service';
import { connectWs } from '../../helpers/ws';
import { seed } from '../../../support/test-env';
import { waitFor } from '../../helpers/wait-for';

jest.setTimeout(60_000);

const run = `hd${Math.random().toString(36).slice(2, 8)}`;
const LABEL = `dockhand.test=hardening-${run}`;
const lines: Record<string, unknown>[] = [];
let p: ProxiedService;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  p = await startProxiedService({}, { logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await p?.close();
  const mine = await engine().listContainers({ all: true, filters: JSON.stringify({ label: [LABEL] }) });
  await Promise.all(
    mine.map((c) =>
      engine()
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
});

const audit = () => lines.filter((l) => l.log === 'audit');
const scrape = async () => {
  const res = await p.svc.http.get('/metrics').set(auth('viewer'));
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
};
/** The value of one sample line (`name{labels} value`), or undefined. */
const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `) ? want.every((w) => l.includes(w)) : false));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('metrics', () => {
  test('when /metrics is asked without a token, then 401; a viewer gets Prometheus text', async () => {
    expect((await p.svc.http.get('/metrics')).status).toBe(401);
    expect(await scrape()).toContain('# TYPE dockhand_http_request_duration_seconds histogram');
  });

  test('when requests were made, then durations are labelled by contract route (not the raw URL) and status, and engine calls by engine route', async () => {
    await p.svc.http.get('/api/v1/containers/dkh-absent-a').set(auth('viewer'));
    await p.svc.http.get('/api/v1/containers/dkh-absent-b').set(auth('viewer'));
    const text = await scrape();
    expect(sample(text, 'dockhand_http_request_duration_seconds_count', { route: '/api/v1/containers/{id}', status: '404', method: 'GET' })).toBe(2);
    expect(text).not.toContain('dkh-absent-a');
    expect(sample(text, 'dockhand_engine_call_duration_seconds_count', { route: '/containers/{id}/json', status: '404' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'dockhand_jobs', { kind: 'pull', state: 'running' })).toBe(0);
  });

  test('when a WebSocket client subscribes to events and the engine emits one, then connections, frames and fan-out are counted', async () => {
    const s = await connectWs(p.svc.wsUrl, 'viewer');
    try {
      s.send({ type: 'subscribe', id: 'ev', channel: 'events', filters: { label: [LABEL] } });
      await s.waitFor((f) => f.type === 'subscribed');
      await waitFor(async () => sample(await scrape(), 'dockhand_engine_event_stream_connected') === 1);
      const c = await engine().createContainer({ Image: 'seed/base:1', Cmd: ['true'], Labels: { 'dockhand.test': `hardening-${run}` } });
      await s.waitFor((f) => f.type === 'event');
      await c.remove({ force: true });
      const text = await scrape();
      expect(sample(text, 'dockhand_ws_connections')).toBe(1);
      expect(sample(text, 'dockhand_ws_connections_opened_total')).toBe(1);
      expect(sample(text, 'dockhand_ws_frames_sent_total')).toBeGreaterThanOrEqual(2);
      expect(sample(text, 'dockhand_events_fanned_out_total')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'dockhand_engine_event_stream_reconnects_total')).toBe(0);
    } finally {
      s.ws.terminate();
    }
  });
});

describe('audit log', () => {
  test('when mutating calls are made (allowed, refused, failed), then each leaves one audit line with token name, operation, target and status; reads leave none', async () => {
    const before = audit().length;
    await p.svc.http.post('/api/v1/containers/dkh-absent-c/stop').set(auth('operator'));
    await p.svc.http.delete('/api/v1/containers/dkh-absent-c').set(auth('viewer'));
    await p.svc.http.post('/api/v1/images/pull').send({ image: 'docker.io/library/nothing:1' });
    await p.svc.http.get('/api/v1/containers/dkh-absent-c').set(auth('viewer'));
    const mine = audit().slice(before);
    expect(mine).toEqual([
      expect.objectContaining({ token: 'test-operator', operation: 'stopContainer', target: 'dkh-absent-c', status: 404, msg: 'audit' }),
      expect.objectContaining({ token: 'test-viewer', operation: 'removeContainer', target: 'dkh-absent-c', status: 403 }),
      // Refused before its body was read (nothing is parsed before authentication): no target from the body.
      expect.objectContaining({ token: null, operation: 'pullImage', target: null, status: 401 }),
    ]);
    expect(JSON.stringify(mine)).not.toMatch(/token-0123456789/);
  });

  test('when WebSocket subscriptions are made, then each leaves one audit line with its result', async () => {
    const before = audit().length;
    const startedAt = new Date().toISOString();
    const s = await connectWs(p.svc.wsUrl, 'viewer');
    try {
      s.send({ type: 'subscribe', id: 'l1', channel: 'logs', container: 'dkh-absent-d' });
      s.send({ type: 'subscribe', id: 'e1', channel: 'events' });
      s.send({ type: 'subscribe', id: 'x1', channel: 'exec', execId: 'f'.repeat(64) });
      await s.waitFor((f) => f.id === 'l1' && f.type === 'error');
      await s.waitFor((f) => f.id === 'e1' && f.type === 'subscribed');
      await s.waitFor((f) => f.id === 'x1' && f.type === 'error');
      const mine = audit().slice(before);
      expect(mine).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ token: 'test-viewer', operation: 'subscribe:logs', target: 'dkh-absent-d', status: 'container_not_found' }),
          expect.objectContaining({ token: 'test-viewer', operation: 'subscribe:events', target: null, status: 'subscribed' }),
          expect.objectContaining({ token: 'test-viewer', operation: 'subscribe:exec', status: 'forbidden' }),
        ]),
      );
      expect(mine.filter((l) => String(l.operation).startsWith('subscribe:'))).toHaveLength(3);
      // The exec subscription (refused for a viewer) is also a row of the queryable trail; (logs and events subscriptions are lines only).
      const rows = p.svc.services.audit.query({ token: 'test-viewer', operation: 'subscribe:exec', from: startedAt, limit: 10 });
      expect(rows.map((r) => `${r.operation} ${r.outcome}`)).toEqual(['subscribe:exec refused']);
    } finally {
      s.ws.terminate();
    }
  });
  test('when one image is inspected three times with the event stream up, then the read cache counts each read as a miss or a hit', async () => {
    await waitFor(async () => sample(await scrape(), 'dockhand_engine_event_stream_connected') === 1);
    const ref = encodeURIComponent(seed.web143());
    for (let i = 0; i < 3; i++) expect((await p.svc.http.get(`/api/v1/images/${ref}`).set(auth('viewer'))).status).toBe(200);
    const text = await scrape();
    // The engine is shared with test files running in parallel: an image change of theirs between two of these
    // inspects turns a hit into a miss. Every read is counted once, as one or the other.
    const miss = sample(text, 'dockhand_read_cache_reads_total', { cache: 'image_inspect', result: 'miss' }) ?? 0;
    const hit = sample(text, 'dockhand_read_cache_reads_total', { cache: 'image_inspect', result: 'hit' }) ?? 0;
    expect(miss).toBeGreaterThanOrEqual(1);
    expect(hit).toBeGreaterThanOrEqual(1);
    expect(miss + hit).toBeGreaterThanOrEqual(3);
  });
});
