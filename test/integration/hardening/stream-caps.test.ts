import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { auth, startService, type TestService, type TokenRole } from '../../helpers/service';
import { engine } from '../../helpers/engine-images';
import { testEnv } from '../../../support/test-env';
import { connectWs, type TestSocket } from '../../helpers/ws';

// Issue 13, item 5: bounded per token, everywhere. Streams across WebSocket connections per token and in all,
// WebSocket logs follows against the log budget, and WebSocket tickets per token and per minute — each shown at
// its cap, with another token unaffected.
jest.setTimeout(60_000);

const run = randomBytes(4).toString('hex');
let docker: Docker;
let containerId: string;
const open: (TestSocket | TestService)[] = [];

beforeAll(async () => {
  docker = engine();
  const c = await docker.createContainer({ name: `dkh-caps-${run}`, Image: `${testEnv().registry}/seed/web:1.39`, Cmd: ['sleep', '600'] });
  containerId = c.id;
  await c.start();
});
afterAll(async () => {
  for (const o of open.reverse()) await o.close();
  await docker.getContainer(containerId).remove({ force: true });
});

async function service(env: Record<string, string>): Promise<TestService> {
  const svc = await startService(env);
  open.push(svc);
  return svc;
}

async function socket(svc: TestService, role: TokenRole): Promise<TestSocket> {
  const s = await connectWs(svc.wsUrl, role);
  open.push(s);
  return s;
}

let ids = 0;
/** Subscribes and resolves with `subscribed` or the error frame's code. */
async function subscribe(s: TestSocket, frame: Record<string, unknown>): Promise<string> {
  const id = `s${++ids}`;
  s.send({ type: 'subscribe', id, ...frame });
  const f = await s.waitFor((x) => x.id === id && (x.type === 'subscribed' || x.type === 'error'));
  return f.type === 'subscribed' ? 'subscribed' : (f.data as { code: string }).code;
}

test('when one token holds its streams across connections, then its next is rate_limited while another token still subscribes; a freed one can be taken again', async () => {
  const svc = await service({ WS_MAX_STREAMS_PER_TOKEN: '3', WS_MAX_STREAMS: '100' });
  const [a, b] = [await socket(svc, 'viewer'), await socket(svc, 'viewer')];
  expect(await subscribe(a, { channel: 'events' })).toBe('subscribed');
  expect(await subscribe(a, { channel: 'stats', container: containerId })).toBe('subscribed');
  expect(await subscribe(b, { channel: 'logs', container: containerId })).toBe('subscribed');
  // The fourth, on either connection, of any stream channel.
  expect(await subscribe(b, { channel: 'events' })).toBe('rate_limited');
  expect(await subscribe(a, { channel: 'stats', container: containerId })).toBe('rate_limited');
  // Another token is not affected.
  const other = await socket(svc, 'operator');
  expect(await subscribe(other, { channel: 'events' })).toBe('subscribed');
  // Closing a connection gives its streams back.
  a.close();
  await a.closed;
  await new Promise((r) => setTimeout(r, 100));
  expect(await subscribe(b, { channel: 'events' })).toBe('subscribed');
});

test('when the service holds its global number of streams, then every token is refused until one ends', async () => {
  const svc = await service({ WS_MAX_STREAMS_PER_TOKEN: '10', WS_MAX_STREAMS: '4' });
  const v = await socket(svc, 'viewer');
  const o = await socket(svc, 'operator');
  const first = `s${ids + 1}`;
  for (let i = 0; i < 3; i++) expect(await subscribe(v, { channel: 'events' })).toBe('subscribed');
  expect(await subscribe(o, { channel: 'events' })).toBe('subscribed');
  expect(await subscribe(o, { channel: 'events' })).toBe('rate_limited');
  const admin = await socket(svc, 'admin');
  expect(await subscribe(admin, { channel: 'stats', container: containerId })).toBe('rate_limited');
  v.send({ type: 'unsubscribe', id: first });
  await v.waitFor((f) => f.type === 'end' && f.id === first);
  expect(await subscribe(admin, { channel: 'events' })).toBe('subscribed');
});

test('when a token follows logs over the WebSocket, then each follow draws on its log budget, shared with REST log tails; another token is unaffected', async () => {
  const svc = await service({ RATE_LIMIT_LOG_TAILS_PER_MINUTE: '3' });
  const s = await socket(svc, 'viewer');
  expect(await subscribe(s, { channel: 'logs', container: containerId })).toBe('subscribed');
  expect(await subscribe(s, { channel: 'logs', container: containerId })).toBe('subscribed');
  expect((await svc.http.get(`/api/v1/containers/${containerId}/logs`).set(auth('viewer'))).status).toBe(200);
  // Three taken (two follows, one tail): both ways in are now refused for this token.
  expect(await subscribe(s, { channel: 'logs', container: containerId })).toBe('rate_limited');
  expect((await svc.http.get(`/api/v1/containers/${containerId}/logs`).set(auth('viewer'))).status).toBe(429);
  const other = await socket(svc, 'operator');
  expect(await subscribe(other, { channel: 'logs', container: containerId })).toBe('subscribed');
});

test('when one token asks for tickets without using them, then it is capped (429) and another token still gets one; using a ticket frees its place', async () => {
  const svc = await service({ WS_MAX_TICKETS_PER_TOKEN: '3', RATE_LIMIT_WS_TICKETS_PER_MINUTE: '100' });
  const tickets: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await svc.http.post('/api/v1/ws-tickets').set(auth('viewer'));
    expect(r.status).toBe(201);
    tickets.push(r.body.ticket);
  }
  const refused = await svc.http.post('/api/v1/ws-tickets').set(auth('viewer'));
  expect(refused.status).toBe(429);
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect((await svc.http.post('/api/v1/ws-tickets').set(auth('operator'))).status).toBe(201);
  const used = await connectWs(`${svc.wsUrl}?ticket=${tickets[0]}`, null);
  open.push(used);
  expect((await svc.http.post('/api/v1/ws-tickets').set(auth('viewer'))).status).toBe(201);
});

test('when one token asks for more tickets a minute than allowed, then 429 even if it uses each; another token is unaffected', async () => {
  const svc = await service({ WS_MAX_TICKETS_PER_TOKEN: '100', RATE_LIMIT_WS_TICKETS_PER_MINUTE: '4' });
  for (let i = 0; i < 4; i++) {
    const r = await svc.http.post('/api/v1/ws-tickets').set(auth('viewer'));
    expect(r.status).toBe(201);
    const s = await connectWs(`${svc.wsUrl}?ticket=${r.body.ticket}`, null);
    s.close();
  }
  expect((await svc.http.post('/api/v1/ws-tickets').set(auth('viewer'))).status).toBe(429);
  expect((await svc.http.post('/api/v1/ws-tickets').set(auth('operator'))).status).toBe(201);
});
