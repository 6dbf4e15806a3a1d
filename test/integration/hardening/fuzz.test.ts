import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { auth } from '../../helpers/service';
import { testEnv } from '../../../support/test-env';
import { startProxiedService, type ProxiedService } from '../../helpers/proxied-service';
import {
  INJECTIONS,
  loadOperations,
  queryString,
  rawRequest,
  valid,
  validish,
  type Operation,
  type Param,
  type Schema,
} from '../../helpers/openapi-fuzz';

// An OpenAPI-driven fuzzer with a fixed seed, against a service whose engine calls all pass a recording proxy.
// It never changes shared objects: mutating operations get either inputs that are certainly invalid, or targets
// that cannot exist (names under a prefix of this run); only reads get anything at all.
// 58 operations × 450 requests: ~1 minute on a quiet machine, several at load 10 on 2 cores. A test that times out
// keeps sending after the next one started, whose engine-call check then sees its calls: time out late, not early.
jest.setTimeout(600_000);

const SEED = 20240611;
const RUNS = { invalid: 200, absent: 100, read: 150 };
const run = Math.random().toString(36).slice(2, 8);

let p: ProxiedService;
let agent: http.Agent;
let dataDir: string;
const ops = loadOperations();

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-fuzz-'));
  p = await startProxiedService({
    // Only the loopback registry: a docker.io reference is refused before any network or engine call.
    ALLOWED_REGISTRIES: testEnv().registry,
    DATA_DIR: dataDir,
    RATE_LIMIT_PULLS_PER_MINUTE: '0',
    RATE_LIMIT_LOG_TAILS_PER_MINUTE: '0',
    RATE_LIMIT_EXECS_PER_MINUTE: '0',
  });
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
});
afterAll(async () => {
  agent?.destroy();
  await p?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Req {
  pathValues: Record<string, string>;
  query: Record<string, unknown>;
  body?: unknown;
  /** Sent as is instead of JSON.stringify(body). */
  rawBody?: string;
  contentType?: string;
}

async function send(op: Operation, r: Req, role: 'admin' | 'viewer' = 'admin') {
  let url = op.path;
  for (const [k, v] of Object.entries(r.pathValues)) url = url.replace(`{${k}}`, encodeURIComponent(v));
  const body = r.rawBody ?? (r.body === undefined ? undefined : JSON.stringify(r.body));
  const headers: Record<string, string> = { ...auth(role), ...(body !== undefined ? { 'content-type': r.contentType ?? 'application/json' } : {}) };
  const mark = p.engine.mark();
  const res = await rawRequest(agent, p.svc.server.port, op.method, url + queryString(r.query), headers, body);
  return { ...res, calls: p.engine.since(mark) };
}

const pathParams = (op: Operation) => op.params.filter((x) => x.in === 'path');
const queryParams = (op: Operation) => op.params.filter((x) => x.in === 'query');
const mutating = (op: Operation) => op.method !== 'GET';

/** A target that cannot exist: this run's prefix, in the parameter's own grammar. */
function absentTarget(param: Param): fc.Arbitrary<string> {
  const pattern = param.schema.pattern ?? '';
  if (pattern.includes('{8}-')) return fc.uuid().map((u) => u.toLowerCase());
  if (pattern.includes('{64}')) return fc.stringMatching(/^[a-f0-9]{64}$/);
  if (param.name === 'ref') return fc.stringMatching(/^[a-z0-9]{1,8}$/).map((s) => `${testEnv().registry}/dkh-fz-absent-${run}/${s}:1`);
  return fc.stringMatching(/^[a-z0-9]{1,8}$/).map((s) => `dkh-fz-absent-${run}-${s}`);
}

function query(op: Operation, gen: (s: Schema) => fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  const qs = queryParams(op);
  return fc.record(Object.fromEntries(qs.map((q) => [q.name, gen(q.schema)])), { requiredKeys: [] });
}

function pathValues(op: Operation, gen: (param: Param) => fc.Arbitrary<string>): fc.Arbitrary<Record<string, string>> {
  return fc.record(Object.fromEntries(pathParams(op).map((x) => [x.name, gen(x)])));
}

type Mutation = (r: Req, pick: number, injection: string) => Req;
const asObject = (b: unknown): Record<string, unknown> =>
  b && typeof b === 'object' && !Array.isArray(b) ? { ...(b as Record<string, unknown>) } : {};

/** Changes that make a request certainly invalid under the contract or the identifier grammars. */
function mutations(op: Operation): Mutation[] {
  const m: Mutation[] = [(r) => ({ ...r, query: { ...r.query, fz_unknown: 'x' } })];
  const pp = pathParams(op);
  if (pp.length) m.push((r, pick, inj) => ({ ...r, pathValues: { ...r.pathValues, [pp[pick % pp.length].name]: inj } }));
  const typed = queryParams(op).filter((q) => q.schema.enum || ['integer', 'boolean'].includes(String(q.schema.type)));
  if (typed.length) {
    m.push((r, pick) => {
      const q = typed[pick % typed.length];
      return { ...r, query: { ...r.query, [q.name]: q.schema.enum ? 'zz-not-in-enum' : q.schema.type === 'integer' ? 'twelve' : 'maybe' } };
    });
  }
  const s = op.body?.schema;
  if (s) {
    m.push((r, pick) => ({ ...r, body: undefined, rawBody: ['"str"', '42', 'null', '[]', '{"a":'][pick % 5] }));
    if (s.additionalProperties === false) m.push((r) => ({ ...r, body: { ...asObject(r.body), __fz_unknown: 1 } }));
    if (s.required?.length) {
      m.push((r, pick) => {
        const b = asObject(r.body);
        delete b[s.required![pick % s.required!.length]];
        return { ...r, body: b };
      });
    }
    const props = Object.entries(s.properties ?? {});
    if (props.length) {
      m.push((r, pick) => {
        const [k, ps] = props[pick % props.length];
        const t = Array.isArray(ps.type) ? ps.type[0] : ps.type;
        return { ...r, body: { ...asObject(r.body), [k]: t === 'object' ? ['not', 'an', 'object'] : { not: ['a', t ?? 'value'] } } };
      });
    }
  }
  return m;
}

function invalidRequest(op: Operation): fc.Arbitrary<Req> {
  const ms = mutations(op);
  const base = fc.record({
    pathValues: pathValues(op, absentTarget),
    query: query(op, valid),
    body: op.body ? valid(op.body.schema) : fc.constant(undefined),
  });
  return fc.tuple(base, fc.nat(ms.length - 1), fc.nat(), fc.constantFrom(...INJECTIONS)).map(([b, i, pick, inj]) => ms[i](b as Req, pick, inj));
}

const figures = { requests: 0, server5xx: 0, invalidWithEngineCalls: 0, byStatus: {} as Record<number, number> };
const failures: string[] = [];
const note = (op: Operation, r: Req, res: { status: number; body: string; calls: unknown[] }, why: string) => {
  if (failures.length < 20)
    failures.push(
      `${op.operationId} ${why}: ${res.status} ${res.body.slice(0, 200)} calls=${JSON.stringify(res.calls).slice(0, 200)} req=${JSON.stringify(r).slice(0, 300)}`,
    );
};
const count = (status: number) => {
  figures.requests++;
  figures.byStatus[status] = (figures.byStatus[status] ?? 0) + 1;
  if (status >= 500) figures.server5xx++;
};

describe('fuzzing every operation from the contract (fixed seed)', () => {
  test('when requests are certainly invalid (unknown fields and parameters, wrong types, missing fields, identifier injections, non-object bodies), then every answer is 4xx and the engine is never called', async () => {
    for (const op of ops) {
      for (const r of fc.sample(invalidRequest(op), { seed: SEED, numRuns: RUNS.invalid })) {
        const res = await send(op, r);
        count(res.status);
        if (res.status < 400 || res.status >= 500) note(op, r, res, 'not 4xx');
        if (res.calls.length > 0) {
          figures.invalidWithEngineCalls++;
          note(op, r, res, 'engine called');
        }
      }
    }
    expect(failures).toEqual([]);
  });

  test('when mutating operations target objects that cannot exist, with valid-ish parameters and bodies, then every answer is 4xx, never 5xx', async () => {
    for (const op of ops.filter((o) => mutating(o) && pathParams(o).length > 0)) {
      const arb = fc.record({
        pathValues: pathValues(op, absentTarget),
        query: query(op, validish),
        body: op.body ? fc.oneof(valid(op.body.schema), validish(op.body.schema)) : fc.constant(undefined),
      });
      for (const r of fc.sample(arb, { seed: SEED, numRuns: RUNS.absent })) {
        const res = await send(op, r);
        count(res.status);
        if (res.status < 400 || res.status >= 500) note(op, r, res, 'not 4xx');
      }
    }
    expect(failures).toEqual([]);
  });

  test('when reads get valid-ish and hostile parameters, then no answer is 5xx (the service checks each answer against the contract: a violation would be a 500)', async () => {
    for (const op of ops.filter((o) => !mutating(o))) {
      const arb = fc.record({
        pathValues: pathValues(op, (param) =>
          fc.oneof(absentTarget(param), valid(param.schema) as fc.Arbitrary<string>, fc.constantFrom(...INJECTIONS)),
        ),
        query: query(op, validish),
      });
      for (const r of fc.sample(arb, { seed: SEED, numRuns: RUNS.read })) {
        const res = await send(op, r, 'viewer');
        count(res.status);
        if (res.status >= 500) note(op, r, res, '5xx');
      }
    }
    expect(failures).toEqual([]);
  });

  afterAll(() => {
    console.log(
      `fuzz (seed ${SEED}): ${ops.length} operations, ${figures.requests} requests, ${figures.server5xx} answers 5xx, ` +
        `${figures.invalidWithEngineCalls} invalid requests that reached the engine; statuses ${JSON.stringify(figures.byStatus)}`,
    );
  });
});
