import { loadSpec } from '../../src/http/openapi';
import { auth, startService, type TestService } from '../helpers/service';

/**
 * The engine-scoped copies of the contract (`/api/v1/engines/{engine}/…`, generated from openapi.yaml's
 * x-engine-scoped operations) are real routes: each answers on the `default` engine as its plain path does, with
 * the responses validated against the contract. Writes are sent a body the contract refuses, so they change nothing;
 * what they do on another engine is tested against real engines in test/integration/engines.test.ts.
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc.close();
});

const paths = loadSpec().doc.paths as Record<string, Record<string, { operationId?: string }>>;
const scoped = Object.keys(paths).filter((p) => p.startsWith('/api/v1/engines/{engine}/'));
const fill = (p: string, engine: string) =>
  p
    .replace('{engine}', engine)
    .replace('{ref}', encodeURIComponent('127.0.0.1:5999/no/such:image'))
    .replace('{id}', 'no-such-container-0')
    .replace('{execId}', 'a'.repeat(64));
const cases = scoped.flatMap((p) =>
  ['get', 'post', 'delete', 'put', 'patch'].filter((m) => paths[p][m]).map((m) => [m, p, paths[p][m].operationId as string] as const),
);

describe('engine-scoped paths, generated from the one definition', () => {
  test('when the contract is loaded, then every x-engine-scoped operation has its /engines/{engine} copy, and no other does', () => {
    const source = Object.entries(paths).filter(
      ([p, item]) => (item as { 'x-engine-scoped'?: boolean })['x-engine-scoped'] && p.startsWith('/api/v1/'),
    );
    expect(scoped.sort()).toEqual(source.map(([p]) => `/api/v1/engines/{engine}${p.slice('/api/v1'.length)}`).sort());
    expect(cases.length).toBeGreaterThan(25);
    for (const [, , opId] of cases) expect(opId).toMatch(/OnEngine$/);
  });

  test.each(cases)('when %s %s is called on `default`, then it answers as its plain path does (%s)', async (method, p) => {
    const onEngine = fill(p, 'default');
    const plain = fill(p, 'default').replace('/api/v1/engines/default/', '/api/v1/');
    const send = (url: string) => {
      const req = (svc.http as unknown as Record<string, (u: string) => import('supertest').Test>)[method](url).set(auth('admin'));
      // A body the contract refuses: the write is checked and answered, and nothing changes.
      return method === 'get' ? req : req.set('Content-Type', 'application/json').send({ 'no-such-field': true });
    };
    const [a, b] = [await send(onEngine), await send(plain)];
    expect(a.status).toBeLessThan(500);
    expect(a.status).toBe(b.status);
    if (a.status >= 400) expect(a.body.code).toBe(b.body.code);
  });

  test('when an engine that does not exist is named, then the generated paths answer 404 engine_not_found', async () => {
    const res = await svc.http.get('/api/v1/engines/no-such-engine/system/disk-usage').set(auth('viewer'));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('engine_not_found');
  });
});
