import etag from 'etag';
import express, { type RequestHandler, type Response } from 'express';
import type { Role } from '../domain/auth/roles';
import { principalOf } from './auth';

const plainJson = express.response.json;

export interface EncodedAnswer {
  json: string;
  etag: string;
}

/** The JSON text and ETag of answers the read caches hand out again and again (they freeze what they keep). */
const encoded = { plain: new WeakMap<object, EncodedAnswer>(), items: new WeakMap<object, EncodedAnswer>() };

/**
 * `value` as JSON (inside `{"items": …}` with `items`), and its ETag — the one Express would compute (weak, of
 * the same text), so conditional requests answer 304 as before. A frozen value (an answer held by a read cache,
 * which nobody can change) is serialized and hashed once, not at every request: for a list of 1,000 containers
 * that is most of the service's own work.
 */
export function encodeAnswer(value: object, opts: { items?: true } = {}): EncodedAnswer {
  const memo = opts.items ? encoded.items : encoded.plain;
  const frozen = Object.isFrozen(value);
  let answer = frozen ? memo.get(value) : undefined;
  if (!answer) {
    const inner = JSON.stringify(value);
    const json = opts.items ? `{"items":${inner}}` : inner;
    answer = { json, etag: etag(json, { weak: true }) };
    if (frozen) memo.set(value, answer);
  }
  return answer;
}

/**
 * `res.json(value)` through encodeAnswer. Where `res.json` is wrapped — the contract validator checking responses
 * (tests) — the answer goes through it, so it is checked as any other.
 */
export function sendJson(res: Response, value: object, opts: { items?: true } = {}): void {
  if (res.json !== plainJson) {
    res.json(opts.items ? { items: value } : value);
    return;
  }
  const answer = encodeAnswer(value, opts);
  res.setHeader('ETag', answer.etag);
  res.type('application/json').send(answer.json);
}

/** What a read operation gets: its validated path parameters, query and headers. */
export interface ReadInput {
  /** The role of the token that asks (answers below admin are redacted). */
  role: Role;
  params: Record<string, string>;
  query: Record<string, unknown>;
  header: (name: string) => string | undefined;
}

/** The answer of a read: a value, sent as `{"items": value}` when `items` is set. */
export interface ReadAnswer {
  value: object;
  items?: true;
}

/**
 * A GET operation written once, for both ways in: the router mounts it through readHandler, and the fast read
 * path (src/http/fast-reads.ts) calls it directly.
 */
export type ReadOperation = (input: ReadInput) => Promise<ReadAnswer>;

/** A read operation as an Express handler (the full path, after the contract validator). */
export function readHandler(op: ReadOperation): RequestHandler {
  return async (req, res) => {
    const answer = await op({
      role: principalOf(req).role,
      params: req.params as Record<string, string>,
      query: req.query,
      header: (name) => req.get(name),
    });
    sendJson(res, answer.value, answer.items ? { items: true } : {});
  };
}
