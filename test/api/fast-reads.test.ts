import * as authModule from '../../src/http/auth';
import { auth, startService, type TestService } from '../helpers/service';
import { seed } from '../../support/test-env';

/**
 * The fast read path (src/http/fast-reads.ts) and the full path answer alike. The full path is reached by spelling
 * the route in capitals, which Express and the contract validator match case-insensitively and the fast path
 * leaves alone. Responses are validated against the contract on both paths here.
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc.close();
});

/** `route` is spelled in capitals for the full path; `rest` (a reference) is kept as it is. */
const both = async (route: string, rest = '', query: Record<string, unknown> = {}) => {
  const fast = await svc.http
    .get(route + rest)
    .query(query)
    .set(auth('viewer'));
  const full = await svc.http
    .get(route.toUpperCase() + rest)
    .query(query)
    .set(auth('viewer'));
  return { fast, full };
};

/**
 * An image's `sharedSize` / `uniqueSize`, `containers` count and `inUse` are the engine's view of *other* images and
 * containers: the suites running beside this one change them between the two reads, so they are left out.
 */
const withoutSharing = (body: unknown): unknown =>
  Array.isArray(body)
    ? body.map((item) => {
        if (item === null || typeof item !== 'object') return item;
        const { sharedSize: _s, uniqueSize: _u, containers: _c, inUse: _i, ...rest } = item as Record<string, unknown>;
        return rest;
      })
    : body;

describe('fast reads answer as the full path does', () => {
  test('when a plain inspect arrives, then the service takes the fast path (it admits the token itself); in capitals it does not', async () => {
    const admit = jest.spyOn(authModule, 'admit');
    try {
      const ref = encodeURIComponent(seed.web143());
      expect((await svc.http.get(`/api/v1/images/${ref}`).set(auth('viewer'))).status).toBe(200);
      expect(admit).toHaveBeenCalledTimes(1);
      expect((await svc.http.get(`/API/V1/IMAGES/${ref}`).set(auth('viewer'))).status).toBe(200);
      expect(admit).toHaveBeenCalledTimes(1);
    } finally {
      admit.mockRestore();
    }
  });

  test('when an image is inspected both ways, then status, body, type and ETag are the same', async () => {
    const { fast, full } = await both('/api/v1/images/', encodeURIComponent(seed.web143()));
    expect(fast.status).toBe(200);
    expect(full.status).toBe(fast.status);
    expect(full.body).toEqual(fast.body);
    expect(full.headers['content-type']).toBe(fast.headers['content-type']);
    expect(full.headers.etag).toBe(fast.headers.etag);
  });

  test('when the client sends back the ETag it got (If-None-Match), then both paths answer 304 without a body', async () => {
    const ref = encodeURIComponent(seed.web143());
    const first = await svc.http.get(`/api/v1/images/${ref}`).set(auth('viewer'));
    for (const route of ['/api/v1/images/', '/API/V1/IMAGES/']) {
      const again = await svc.http
        .get(route + ref)
        .set(auth('viewer'))
        .set('If-None-Match', first.headers.etag);
      expect(again.status).toBe(304);
      expect(again.headers.etag).toBe(first.headers.etag);
      expect(again.text).toBe('');
    }
  });

  test('when the lists are asked both ways, then they answer the same', async () => {
    for (const [path, query] of [
      ['/api/v1/images', { reference: seed.web143() }],
      ['/api/v1/containers', { all: true, label: 'dockhand.test=none-such' }],
    ] as const) {
      const { fast, full } = await both(path, '', query);
      expect(fast.status).toBe(200);
      expect(full.status).toBe(200);
      expect(withoutSharing(full.body)).toEqual(withoutSharing(fast.body));
    }
  });

  test('when the image does not exist, then the fast path gives the same 404 problem as the full path', async () => {
    const ref = encodeURIComponent('127.0.0.1:5999/no/such:image');
    const fast = await svc.http.get(`/api/v1/images/${ref}`).set(auth('viewer'));
    const full = await svc.http.get(`/API/V1/IMAGES/${ref}`).set(auth('viewer'));
    expect(fast.status).toBe(404);
    expect(fast.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(fast.body.code).toBe('image_not_found');
    expect(full.status).toBe(404);
    expect(full.body.code).toBe(fast.body.code);
  });

  test("when a bad reference or no token is sent, then the answers are the full path's 400 and 401 problems", async () => {
    const bad = await svc.http.get(`/api/v1/images/${encodeURIComponent('UPPER/Case')}`).set(auth('viewer'));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_reference');
    const anonymous = await svc.http.get('/api/v1/images');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('unauthorized');
  });
});
