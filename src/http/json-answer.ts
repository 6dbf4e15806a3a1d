import etag from 'etag';
import express, { type Response } from 'express';

const plainJson = express.response.json;

/** The JSON text and ETag of answers the read caches hand out again and again (they freeze what they keep). */
const encoded = { plain: new WeakMap<object, { json: string; etag: string }>(), items: new WeakMap<object, { json: string; etag: string }>() };

function encode(value: object, wrap: (json: string) => string): { json: string; etag: string } {
  const json = wrap(JSON.stringify(value));
  return { json, etag: etag(json, { weak: true }) };
}

/**
 * `res.json(value)`, with `{"items": …}` around it when `items` is set — but a frozen value (an answer held by a
 * read cache, which nobody can change) is serialized and hashed for its ETag once, not at every request: for a
 * list of 1,000 containers that is most of the service's own work. The ETag is the one Express would compute
 * (weak, of the same text), so conditional requests answer 304 as before. Where `res.json` is wrapped — the
 * contract validator checking responses (tests) — the answer goes through it, so it is checked as any other.
 */
export function sendJson(res: Response, value: object, opts: { items?: true } = {}): void {
  if (res.json !== plainJson) {
    res.json(opts.items ? { items: value } : value);
    return;
  }
  const wrap = opts.items ? (json: string) => `{"items":${json}}` : (json: string) => json;
  const memo = opts.items ? encoded.items : encoded.plain;
  let answer = Object.isFrozen(value) ? memo.get(value) : undefined;
  if (!answer) {
    answer = encode(value, wrap);
    if (Object.isFrozen(value)) memo.set(value, answer);
  }
  res.setHeader('ETag', answer.etag);
  res.type('application/json').send(answer.json);
}
