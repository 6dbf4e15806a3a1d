import { auth } from '../../helpers/service';
import { startProxiedService, type ProxiedService } from '../../helpers/proxied-service';
import { connectWs, upgradeStatus, type TestSocket } from '../../helpers/ws';
import { testEnv } from '../../../support/test-env';
import WebSocket from 'ws';

jest.setTimeout(30_000);

let p: ProxiedService;
beforeAll(async () => {
  p = await startProxiedService({
    // Only the loopback registry: a docker.io pull is refused (403) before any engine call, so nothing is pulled.
    ALLOWED_REGISTRIES: testEnv().registry,
    RATE_LIMIT_PULLS_PER_MINUTE: '2',
    RATE_LIMIT_LOG_TAILS_PER_MINUTE: '3',
    WS_MAX_CONNECTIONS_PER_TOKEN: '2',
  });
});
afterAll(() => p?.close());

test('when one token exceeds its pulls a minute, then 429 rate_limited with Retry-After before any engine call, and another token is not affected', async () => {
  const pull = (role: 'operator' | 'admin') => p.svc.http.post('/api/v1/images/pull').set(auth(role)).send({ image: 'docker.io/library/dkh-rl:1' });
  expect((await pull('operator')).status).toBe(403);
  expect((await pull('operator')).status).toBe(403);
  const { result: limited, calls } = await p.calls(() => pull('operator'));
  expect(limited.status).toBe(429);
  expect(limited.body.code).toBe('rate_limited');
  expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(calls).toEqual([]);
  expect((await pull('admin')).status).toBe(403);
  console.log(`rate limit: 3rd pull in a minute → ${limited.status}, Retry-After ${limited.headers['retry-after']} s, ${calls.length} engine calls`);
});

test('when one token exceeds its log tails a minute, then 429 with Retry-After', async () => {
  const tail = () => p.svc.http.get('/api/v1/containers/dkh-rl-absent/logs').set(auth('viewer'));
  for (let i = 0; i < 3; i++) expect((await tail()).status).toBe(404);
  const res = await tail();
  expect(res.status).toBe(429);
  expect(res.headers['retry-after']).toBeDefined();
  const metrics = await p.svc.http.get('/metrics').set(auth('viewer'));
  expect(metrics.text).toMatch(/dockhand_rate_limited_total\{limit="log_tails"\} 1/);
});

test('when one token holds its maximum of WebSocket connections, then a further upgrade answers 429 until one closes; other tokens still connect', async () => {
  const open: TestSocket[] = [await connectWs(p.svc.wsUrl, 'viewer'), await connectWs(p.svc.wsUrl, 'viewer')];
  try {
    const refused = await upgradeResponse(p.svc.wsUrl, 'viewer');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('5');
    expect(await upgradeStatus(p.svc.wsUrl, auth('operator'))).toBe(101);
    open[0].ws.close();
    await open[0].closed;
    await new Promise((r) => setTimeout(r, 50));
    open.push(await connectWs(p.svc.wsUrl, 'viewer'));
  } finally {
    for (const s of open) s.ws.terminate();
  }
});

function upgradeResponse(url: string, role: 'viewer'): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: auth(role) });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101 });
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
    });
    ws.once('error', () => undefined);
  });
}
