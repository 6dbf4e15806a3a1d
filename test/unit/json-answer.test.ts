import etag from 'etag';
import express from 'express';
import request from 'supertest';
import { sendJson } from '../../src/http/json-answer';

/** A value whose serializations can be counted: JSON.stringify calls toJSON once per serialization. */
function counted(frozen: boolean) {
  const state = { serialized: 0 };
  const value = {
    id: 'x',
    toJSON() {
      state.serialized++;
      return { id: 'x' };
    },
  };
  return { value: frozen ? Object.freeze(value) : value, state };
}

const appFor = (value: object, opts: { items?: true } = {}) => {
  const app = express();
  app.get('/', (_req, res) => sendJson(res, value, opts));
  return app;
};

describe('sendJson', () => {
  test('when a frozen answer is sent twice, then it is serialized once, with the ETag Express would give the same text', async () => {
    const { value, state } = counted(true);
    const app = appFor(value);
    const first = await request(app).get('/');
    const second = await request(app).get('/');
    expect(first.text).toBe('{"id":"x"}');
    expect(second.text).toBe('{"id":"x"}');
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first.headers.etag).toBe(etag('{"id":"x"}', { weak: true }));
    expect(state.serialized).toBe(1);
  });

  test('when an answer is not frozen, then it is serialized at every request (it may have changed)', async () => {
    const { value, state } = counted(false);
    const app = appFor(value);
    await request(app).get('/');
    await request(app).get('/');
    expect(state.serialized).toBe(2);
  });

  test('when the client already has the answer (If-None-Match), then it gets 304 without a body', async () => {
    const app = appFor(Object.freeze([{ a: 1 }]), { items: true });
    const first = await request(app).get('/');
    expect(first.text).toBe('{"items":[{"a":1}]}');
    const again = await request(app).get('/').set('If-None-Match', first.headers.etag);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  test('when res.json is wrapped (the contract validator checking responses), then the answer goes through it', async () => {
    const app = express();
    const through: unknown[] = [];
    app.get('/', (_req, res) => {
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        through.push(body);
        return json(body);
      };
      sendJson(res, Object.freeze([1, 2]), { items: true });
    });
    const res = await request(app).get('/');
    expect(res.body).toEqual({ items: [1, 2] });
    expect(through).toEqual([{ items: [1, 2] }]);
  });
});
