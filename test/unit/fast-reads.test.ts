import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { TokenVerifier } from '../../src/domain/auth/tokens';
import { principalOf } from '../../src/http/auth';
import { fastReads } from '../../src/http/fast-reads';
import { loadSpec } from '../../src/http/openapi';

/**
 * The fast read path takes only plainly valid requests and leaves everything else to the full path. Here the
 * "full path" is a marker handler, so each test says which path a request took.
 */
const verifier = new TokenVerifier([
  { name: 'v', role: 'viewer', token: 'viewer-token-0123456789' },
  { name: 'a', role: 'admin', token: 'admin-token-0123456789' },
]);
const viewer = { Authorization: 'Bearer viewer-token-0123456789' };

function appWith(handlers: Record<string, RequestHandler>, validateResponses = false) {
  const app = express();
  app.set('query parser', 'extended');
  app.use(fastReads({ verifier, handlers, contract: loadSpec().doc, validateResponses }));
  app.use((_req, res) => {
    res.status(299).json({ path: 'full' });
  });
  app.use(((err, _req, res, _next) => {
    res.status(500).json({ error: String((err as Error).message) });
  }) as express.ErrorRequestHandler);
  return app;
}

const seen: { params: unknown; query: unknown; principal: string; cacheControl?: string }[] = [];
const record: RequestHandler = (req, res) => {
  seen.push({ params: { ...req.params }, query: req.query, principal: principalOf(req).name, cacheControl: req.get('Cache-Control') });
  res.json({ path: 'fast' });
};
const app = appWith({ inspectImage: record, listImages: record, listContainers: record });
const ref = encodeURIComponent('127.0.0.1:5000/team/app:1.0');

beforeEach(() => {
  seen.length = 0;
});

describe('fast reads: what is taken', () => {
  test('when an inspect with a valid token and reference arrives, then its handler gets the decoded reference and the principal', async () => {
    const res = await request(app).get(`/api/v1/images/${ref}`).set(viewer);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ path: 'fast' });
    expect(seen).toEqual([{ params: { ref: '127.0.0.1:5000/team/app:1.0' }, query: {}, principal: 'v' }]);
  });

  test('when a container list has valid repeated and boolean parameters, then it is taken and the handler sees the parsed query', async () => {
    const res = await request(app).get('/api/v1/containers?all=true&label=a&label=b%3Dc').set(viewer).set('Cache-Control', 'no-cache');
    expect(res.body).toEqual({ path: 'fast' });
    expect(seen[0].query).toEqual({ all: 'true', label: ['a', 'b=c'] });
    expect(seen[0].cacheControl).toBe('no-cache');
  });
});

describe('fast reads: what goes down the full path', () => {
  const full = async (req: request.Test) => {
    const res = await req;
    expect(res.status).toBe(299);
    expect(seen).toHaveLength(0);
  };

  test('when there is no token, or an unknown one, then the full path answers (it says 401)', async () => {
    await full(request(app).get(`/api/v1/images/${ref}`));
    await full(request(app).get(`/api/v1/images/${ref}`).set('Authorization', 'Bearer nope-nope-nope-nope'));
  });

  test('when a parameter breaks the contract, then the full path answers (it says 400)', async () => {
    await full(request(app).get('/api/v1/containers?all=maybe').set(viewer));
    await full(request(app).get('/api/v1/containers?all=true&all=false').set(viewer));
    await full(request(app).get('/api/v1/containers?bogus=1').set(viewer));
    await full(request(app).get('/api/v1/containers?label[x]=1').set(viewer));
    await full(request(app).get('/api/v1/containers?id=XYZ').set(viewer));
    await full(request(app).get(`/api/v1/images/${'a'.repeat(1025)}`).set(viewer));
    await full(request(app).get(`/api/v1/images/${ref}?x=1`).set(viewer));
    await full(request(app).get('/api/v1/images').set(viewer).set('Cache-Control', 'x'.repeat(300)));
  });

  test('when the path is not spelled as the template or the method is not GET, then the full path answers', async () => {
    await full(request(app).get(`/API/V1/IMAGES/${ref}`).set(viewer));
    await full(request(app).get('/api/v1/images/').set(viewer));
    await full(request(app).get(`/api/v1/images/${ref}/history`).set(viewer));
    await full(request(app).get('/api/v1/images/search?term=x').set(viewer));
    await full(request(app).get('/api/v1/images/search').set(viewer));
    await full(request(app).get('/api/v1/images/%E0%A4%A').set(viewer));
    await full(request(app).post('/api/v1/containers').set(viewer));
    await full(request(app).head('/api/v1/containers').set(viewer));
  });
});

describe('fast reads: answers checked against the contract when responses are validated', () => {
  test('when a handler answers what the contract does not allow, then the answer is a 500, not the bad body', async () => {
    const bad: RequestHandler = (_req, res) => {
      res.json({ items: [{ id: 1 }] });
    };
    const res = await request(appWith({ listImages: bad }, true)).get('/api/v1/images').set(viewer);
    expect(res.status).toBe(500);
    expect(res.body.error).toMatch(/listImages: response does not match the contract/);
  });

  test('when a handler answers what the contract allows, then it is sent', async () => {
    const good: RequestHandler = (_req, res) => {
      res.json({ items: [] });
    };
    const res = await request(appWith({ listImages: good }, true)).get('/api/v1/images').set(viewer);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [] });
  });

  test('when an operation is not a GET of the contract, then building the path fails at once', () => {
    expect(() => appWith({ createContainer: record })).toThrow(/no such GET operation/);
  });
});
