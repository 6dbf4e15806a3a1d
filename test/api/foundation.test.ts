import { startService, auth, type TestService } from '../helpers/service';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc.close();
});

const expectProblem = (
  res: { status: number; headers: Record<string, string>; body: { code?: string; status?: number } },
  status: number,
  code: string,
) => {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe(code);
  expect(res.body.status).toBe(status);
};

describe('health', () => {
  test('when asked /healthz, then it answers ok without a token', async () => {
    const res = await svc.http.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  test('when the engine answers and no token is given, then /readyz answers its status only', async () => {
    const res = await svc.http.get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready' });
    const wrong = await svc.http.get('/readyz').set('Authorization', 'Bearer not-a-token-of-this-service');
    expect(wrong.body).toEqual({ status: 'ready' });
  });

  test('when the engine answers and a valid token is given, then /readyz reports its version and API version', async () => {
    const res = await svc.http.get('/readyz').set(auth('viewer'));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.engine.apiVersion).toMatch(/^1\.\d+$/);
    expect(res.body.engine.version).toMatch(/^\d+\.\d+/);
  });
});

describe('docs', () => {
  test('when asked /openapi.yaml, then the raw 3.1 contract is served without a token', async () => {
    const res = await svc.http.get('/openapi.yaml');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/yaml/);
    expect(res.text).toMatch(/^openapi: 3\.1\.0/);
  });

  test('when asked /docs/, then Swagger UI is served from local files', async () => {
    const res = await svc.http.get('/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
    // Scripts and styles come from this service, never a CDN.
    expect(res.text).toMatch(/<script src="\.\/swagger-ui-bundle\.js">/);
    expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });
});

describe('auth', () => {
  test('when no token is sent, then 401 unauthorized with a Bearer challenge', async () => {
    const res = await svc.http.get('/api/v1/images');
    expectProblem(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  test('when an unknown token is sent, then 401 unauthorized', async () => {
    const res = await svc.http.get('/api/v1/images').set('Authorization', 'Bearer not-a-real-token-at-all');
    expectProblem(res, 401, 'unauthorized');
  });

  test('when the scheme is not Bearer, then 401 unauthorized', async () => {
    const res = await svc.http.get('/api/v1/images').set('Authorization', 'Basic dXNlcjpwYXNz');
    expectProblem(res, 401, 'unauthorized');
  });

  test.each(['viewer', 'operator', 'admin'] as const)('when a %s token reads images, then 200', async (role) => {
    const res = await svc.http.get('/api/v1/images').set(auth(role));
    expect(res.status).toBe(200);
  });
});

describe('errors', () => {
  test('when a route does not exist, then 404 route_not_found as a problem', async () => {
    const res = await svc.http.get('/api/v1/nothing-here').set(auth('viewer'));
    expectProblem(res, 404, 'route_not_found');
  });

  test('when a query parameter is unknown, then 400 naming it', async () => {
    const res = await svc.http.get('/api/v1/images?bogus=1').set(auth('viewer'));
    expectProblem(res, 400, 'invalid_request');
    expect(JSON.stringify(res.body.errors)).toContain('bogus');
  });

  test('when a query parameter has the wrong type, then 400 naming the field', async () => {
    const res = await svc.http.get('/api/v1/images?dangling=perhaps').set(auth('viewer'));
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.errors[0].path).toBe('query.dangling');
  });
});
