import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';

/** Just enough of JSON Schema / OpenAPI for generating requests. */
export interface Schema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  $ref?: string;
}
export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}
export interface Operation {
  operationId: string;
  method: string;
  path: string;
  params: Param[];
  body?: { schema: Schema; required: boolean };
}

type Node = unknown;

/** Every operation of openapi.yaml with its `$ref`s resolved (the contract has no cycles). */
export function loadOperations(): Operation[] {
  const spec = YAML.parse(fs.readFileSync(path.resolve(__dirname, '../../openapi.yaml'), 'utf8')) as Record<string, Node>;
  const deref = (n: Node): Node => {
    if (Array.isArray(n)) return n.map(deref);
    if (n && typeof n === 'object') {
      const ref = (n as { $ref?: string }).$ref;
      if (typeof ref === 'string')
        return deref(
          ref
            .slice(2)
            .split('/')
            .reduce<Node>((o, k) => (o as Record<string, Node>)[k], spec),
        );
      return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, deref(v)]));
    }
    return n;
  };
  const ops: Operation[] = [];
  for (const [p, item] of Object.entries(spec.paths as Record<string, Record<string, Node>>)) {
    const shared = (deref(item.parameters ?? []) as Param[]) ?? [];
    for (const m of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[m] as { operationId: string; parameters?: Node; requestBody?: Node } | undefined;
      if (!op) continue;
      const rb = deref(op.requestBody) as { required?: boolean; content?: Record<string, { schema: Schema }> } | undefined;
      const json = rb?.content?.['application/json'];
      ops.push({
        operationId: op.operationId,
        method: m.toUpperCase(),
        path: p,
        params: [...shared, ...((deref(op.parameters ?? []) as Param[]) ?? [])],
        body: json ? { schema: json.schema, required: rb?.required === true } : undefined,
      });
    }
  }
  return ops;
}

const typeOf = (s: Schema): string | undefined => (Array.isArray(s.type) ? s.type[0] : s.type);

/** Values the schema accepts, most of the time (patterns through fast-check's regex generator). */
export function valid(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.oneOf || s.anyOf) return fc.oneof(...(s.oneOf ?? s.anyOf ?? []).map((x) => valid(x, depth + 1)));
  if (depth > 4) return fc.constant(null);
  switch (typeOf(s)) {
    case 'string': {
      const max = Math.min(s.maxLength ?? 40, 40);
      const min = Math.min(s.minLength ?? 0, max);
      if (s.pattern) {
        try {
          return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Infinity));
        } catch {
          // a pattern fast-check cannot generate from: plain strings
        }
      }
      return fc.string({ minLength: min, maxLength: Math.max(min, max) });
    }
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(s.items ? valid(s.items, depth + 1) : fc.string(), { maxLength: Math.min(s.maxItems ?? 3, 3) });
    case 'object': {
      if (s.properties) {
        const props = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, valid(v, depth + 1)]));
        return fc.record(props, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
      }
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        const key = s.propertyNames
          ? (valid({ type: 'string', ...s.propertyNames }, depth + 1) as fc.Arbitrary<string>)
          : fc.string({ minLength: 1, maxLength: 10 });
        return fc.dictionary(key, valid(s.additionalProperties, depth + 1), { maxKeys: 3 });
      }
      return fc.constant({});
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Any JSON value at all: what a careless or hostile client sends. */
export const anything = (): fc.Arbitrary<unknown> => fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...INJECTIONS));

/** Mostly valid, sometimes anything: the "valid-ish" mix. */
export const validish = (s: Schema): fc.Arbitrary<unknown> => fc.oneof({ arbitrary: valid(s), weight: 4 }, { arbitrary: anything(), weight: 1 });

/**
 * Identifier injections: each is outside every identifier grammar of the service (container names and ids, image
 * references and ids, tags, exec/job/registry ids) — a character none allows, a traversal, or a length none allows.
 */
export const INJECTIONS: readonly string[] = [
  'a?b',
  'a?all=1',
  'a#b',
  'a%2Fb',
  '%2e%2e',
  '..',
  '../../containers/json',
  'x/../../../info',
  'a\u0000b',
  'a\r\nX-Injected: 1',
  'a\nb',
  'x'.repeat(10_000),
  '\u0430pp', // Cyrillic а
  '\uff41pp', // fullwidth a
  'app\u200b', // zero-width space
  'a b',
  '$(id)',
  ';ls',
  '<script>',
  'a\\b',
];

export interface RawResponse {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** A raw request (no URL normalisation, path as given) over a keep-alive agent. */
export function rawRequest(
  agent: http.Agent,
  port: number,
  method: string,
  p: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: p,
        agent,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `?a=1&b=x&b=y` from values (arrays repeat the key), every value URL-encoded. */
export function queryString(q: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    for (const x of Array.isArray(v) ? v : [v])
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(typeof x === 'string' ? x : JSON.stringify(x))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}
