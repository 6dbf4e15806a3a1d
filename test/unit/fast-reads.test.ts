import type { RequestListener } from 'node:http';
import etag from 'etag';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { TokenVerifier } from '../../src/domain/auth/tokens';
import { DomainError } from '../../src/domain/errors';
import { principalOf } from '../../src/http/auth';
import { fastReads } from '../../src/http/fast-reads';
import type { ReadOperation } from '../../src/http/json-answer';
import { loadSpec } from '../../src/http/openapi';

/**
 * The fast read path takes only plainly valid requests and leaves everything else to the full path. Here the
 * "full path" is an app that answers 299, so each test says which path a request took.
 */
const verifier = new TokenVerifier([
  { name: 'v', role: 'viewer', token: 'viewer-token-0123456789' },
  { name: 'a', role: 'admin', token: 'admin-token-0123456789' },
]);
const viewer = { Authorization: 'Bearer viewer-token-0123456789' };

const observed: string[] = [];

function appWith(operations: Record<string, ReadOperation>, validateResponses = false): RequestListener {
  const full = express();
  full.use((_req, res) => {
    res.status(299).json({ path: 'full' });
  });
  const fast = fastReads({
    verifier,
    operations,
    contract: loadSpec().doc,
    validateResponses,
    // As the access log does: the route the request was taken for, and the token's name.
    observers: [
      (req, _res, next) => (
        observed.push(`${(req as { openapi?: { openApiRoute?: string } }).openapi?.openApiRoute} ${principalOf(req).name}`),
        next()
      ),
    ],
    logger: pino({ level: 'silent' }),
  });
  return (req, res) => {
    if (!fast.serve(req, res)) full(req, res);
  };
}

const seen: { params: unknown; query: unknown; cacheControl?: string }[] = [];
const record: ReadOperation = async (input) => {
  seen.push({ params: input.params, query: input.query, cacheControl: input.header('Cache-Control') });
  return { value: { path: 'fast' } };
};
const app = appWith({ inspectImage: record, listImages: record, listContainers: record });
const ref = encodeURIComponent('127.0.0.1:5000/team/app:1.0');

beforeEach(() => {
  seen.length = 0;
  observed.length = 0;
});

describe('fast reads: what is taken', () => {
  test('when an inspect with a valid token and reference arrives, then its operation gets the decoded reference, and the observers the route and the token name', async () => {
    const res = await request(app).get(`/api/v1/images/${ref}`).set(viewer);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ path: 'fast' });
    expect(seen).toEqual([{ params: { ref: '127.0.0.1:5000/team/app:1.0' }, query: {}, cacheControl: undefined }]);
    expect(observed).toEqual(['/api/v1/images/{ref} v']);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers.etag).toBe(etag('{"path":"fast"}', { weak: true }));
  });

  test('when a container list has valid repeated and boolean parameters, then it is taken and the handler sees the parsed query', async () => {
    const res = await request(app).get('/api/v1/containers?all=true&label=a&label=b%3Dc').set(viewer).set('Cache-Control', 'no-cache');
    expect(res.body).toEqual({ path: 'fast' });
    // Coerced as the contract validator coerces: a boolean, and arrays for repeatable parameters.
    expect(seen[0].query).toEqual({ all: true, label: ['a', 'b=c'] });
    expect(seen[0].cacheControl).toBe('no-cache');
  });
});

describe('fast reads: what goes down the full path', () => {
  const full = async (req: request.Test) => {
    const res = await req;
    expect(res.status).toBe(299);
    expect(seen).toHaveLength(0);
    expect(observed).toHaveLength(0);
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
    await full(
      request(app)
        .get(`/api/v1/images/${'a'.repeat(1025)}`)
        .set(viewer),
    );
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

describe('fast reads: answers', () => {
  test('when the client already has the answer (If-None-Match), then it gets 304 without a body', async () => {
    const first = await request(app).get(`/api/v1/images/${ref}`).set(viewer);
    const again = await request(app).get(`/api/v1/images/${ref}`).set(viewer).set('If-None-Match', first.headers.etag);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  test('when the operation fails with a domain error, then the answer is its problem document', async () => {
    const missing: ReadOperation = async () => {
      throw new DomainError('image_not_found', 'no such image');
    };
    const res = await request(appWith({ inspectImage: missing }))
      .get(`/api/v1/images/${ref}`)
      .set(viewer);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toMatchObject({ status: 404, code: 'image_not_found', detail: 'no such image', instance: `/api/v1/images/${ref}` });
  });

  test('when responses are validated and an answer breaks the contract, then the answer is a 500 problem, not the bad body', async () => {
    const bad: ReadOperation = async () => ({ value: [{ id: 1 }], items: true });
    const res = await request(appWith({ listImages: bad }, true))
      .get('/api/v1/images')
      .set(viewer);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('internal_error');
  });

  test('when responses are validated and an answer keeps the contract, then it is sent', async () => {
    const good: ReadOperation = async () => ({ value: [], items: true });
    const res = await request(appWith({ listImages: good }, true))
      .get('/api/v1/images')
      .set(viewer);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [] });
  });

  test('when an operation is not a GET of the contract, then building the path fails at once', () => {
    expect(() => appWith({ createContainer: record })).toThrow(/no such GET operation/);
  });
});
