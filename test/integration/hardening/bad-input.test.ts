import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { auth } from '../../helpers/service';
import { testEnv } from '../../../support/test-env';
import { startProxiedService, type ProxiedService } from '../../helpers/proxied-service';
import { INJECTIONS, loadOperations, rawRequest, type Operation } from '../../helpers/openapi-fuzz';
import { connectWs } from '../../helpers/ws';

// Every identifier gets every injection; every operation with a body gets every malformed body. All must be 4xx
// with no engine call. The WebSocket cases extend test/integration/ws/ws-events.test.ts "abuse and bounds"
// (oversized frame → 1009, flood → 1008, malformed JSON, binary, unknown channel are tested there).
jest.setTimeout(240_000);

let p: ProxiedService;
let agent: http.Agent;
let dataDir: string;
const ops = loadOperations();
const absentRef = () => `${testEnv().registry}/dkh-bad-absent/none:1`;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-bad-'));
  p = await startProxiedService({
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

async function send(method: string, url: string, body?: string, contentType = 'application/json') {
  const mark = p.engine.mark();
  const res = await rawRequest(
    agent,
    p.svc.server.port,
    method,
    url,
    { ...auth('admin'), ...(body !== undefined ? { 'content-type': contentType } : {}) },
    body,
  );
  return { ...res, calls: p.engine.since(mark) };
}

/** Bodies that pass the contract, so the identifier under test is what decides. */
const VALID_BODY: Record<string, unknown> = {
  renameContainer: { name: 'dkh-bad-new' },
  tagImage: { repository: 'dkh-bad/new', tag: '1' },
  createContainerExec: { cmd: ['true'] },
  pushImage: {},
  pullImage: { image: absentRef() },
  createContainer: { image: absentRef(), pull: 'never', start: false },
  createRegistry: { serverAddress: testEnv().registry, username: 'u', password: 'p' },
};

/** Identifiers carried in bodies or queries that end up in engine URLs or lookups. */
const FIELD_IDENTIFIERS: { op: string; in: 'body' | 'query'; field: string }[] = [
  { op: 'pullImage', in: 'body', field: 'image' },
  { op: 'tagImage', in: 'body', field: 'repository' },
  { op: 'tagImage', in: 'body', field: 'tag' },
  { op: 'renameContainer', in: 'body', field: 'name' },
  { op: 'createContainer', in: 'body', field: 'image' },
  { op: 'createContainer', in: 'body', field: 'name' },
  { op: 'pushImage', in: 'body', field: 'registry' },
  { op: 'pullImage', in: 'body', field: 'registry' },
  { op: 'searchImages', in: 'query', field: 'registry' },
];

const byId = (id: string): Operation => ops.find((o) => o.operationId === id) as Operation;
/** The operation's path with every path parameter naming something absent, except `override`. */
function url(op: Operation, override: Record<string, string> = {}): string {
  let u = op.path;
  for (const prm of op.params.filter((x) => x.in === 'path')) {
    const pattern = prm.schema.pattern ?? '';
    const v =
      override[prm.name] ??
      (pattern.includes('{8}-')
        ? '00000000-0000-4000-8000-000000000000'
        : pattern.includes('{64}')
          ? 'f'.repeat(64)
          : prm.name === 'ref'
            ? absentRef()
            : 'dkh-bad-absent');
    u = u.replace(`{${prm.name}}`, encodeURIComponent(v));
  }
  // A prune that got through would prune the shared engine: only ever a preview.
  return op.operationId === 'pruneImages' ? `${u}?dryRun=true` : u;
}

test('when any identifier (path, body or query) carries an injection (?, #, %2F, .., NUL, CRLF, 10,000 characters, look-alikes …), then every answer is 4xx and the engine is never called', async () => {
  const bad: string[] = [];
  let cases = 0;
  for (const op of ops) {
    for (const prm of op.params.filter((x) => x.in === 'path')) {
      for (const inj of INJECTIONS) {
        const body = VALID_BODY[op.operationId];
        const res = await send(op.method, url(op, { [prm.name]: inj }), body === undefined ? undefined : JSON.stringify(body));
        cases++;
        if (res.status < 400 || res.status >= 500 || res.calls.length)
          bad.push(`${op.operationId} {${prm.name}}=${JSON.stringify(inj.slice(0, 30))}: ${res.status} calls ${res.calls.length}`);
      }
    }
  }
  for (const f of FIELD_IDENTIFIERS) {
    const op = byId(f.op);
    for (const inj of INJECTIONS) {
      const res =
        f.in === 'body'
          ? await send(op.method, url(op), JSON.stringify({ ...(VALID_BODY[f.op] as object), [f.field]: inj }))
          : await send(op.method, `${url(op)}?${f.field}=${encodeURIComponent(inj)}`);
      cases++;
      if (res.status < 400 || res.status >= 500 || res.calls.length)
        bad.push(`${f.op} ${f.field}=${JSON.stringify(inj.slice(0, 30))}: ${res.status} calls ${res.calls.length}`);
    }
  }
  // Raw (unencoded) traversal and delimiters in the URL itself.
  for (const raw of [
    '/api/v1/containers/..',
    '/api/v1/containers/../images/json',
    '/api/v1/images/..%2F..%2Fcontainers%2Fjson',
    '/api/v1/containers/a%00b',
    '/api/v1/images/a%0d%0aX:1',
    '/api/v1/containers/%2e%2e%2finfo',
  ]) {
    for (const method of ['GET', 'DELETE']) {
      const res = await send(method, raw);
      cases++;
      if (res.status < 400 || res.status >= 500 || res.calls.length) bad.push(`${method} ${raw}: ${res.status} calls ${res.calls.length}`);
    }
  }
  console.log(`injection: ${cases} cases, ${bad.length} not 4xx or reaching the engine`);
  expect(bad).toEqual([]);
});

test('when bodies are empty, of the wrong type, over the limit, 1,000 levels deep or carry unknown fields, then 400/413/415 and the engine is never called', async () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const cases: [string, (op: Operation) => { body: string; type?: string }, number[]][] = [
    ['empty', () => ({ body: '' }), [400, 415]],
    ['wrong content type', (op) => ({ body: JSON.stringify(VALID_BODY[op.operationId] ?? {}), type: 'text/plain' }), [415]],
    ['over the limit', () => ({ body: JSON.stringify({ image: 'x'.repeat(300 * 1024) }) }), [413]],
    ['1,000 levels deep', () => ({ body: deep(1000) }), [400]],
    [
      '1,000 levels deep in a field',
      () => ({ body: `{"image":${deep(1000)},"name":${deep(1000)},"repository":${deep(1000)},"serverAddress":${deep(1000)},"cmd":${deep(1000)}}` }),
      [400],
    ],
    ['50,000 levels deep', () => ({ body: deep(50_000) }), [400]],
    [
      'unknown fields',
      (op) => ({
        body: JSON.stringify({ ...(VALID_BODY[op.operationId] as object), __proto__x: 1, constructor: { prototype: { polluted: true } } }),
      }),
      [400],
    ],
    ['invalid JSON', () => ({ body: '{"image": "a",' }), [400]],
  ];
  const bad: string[] = [];
  let n = 0;
  for (const op of ops.filter((o) => o.body)) {
    for (const [what, make, allowed] of cases) {
      // An empty body is a valid request where the body is optional: not a bad-input case there.
      if (what === 'empty' && !op.body?.required) continue;
      const { body, type } = make(op);
      const res = await send(op.method, url(op), body, type);
      n++;
      if (!allowed.includes(res.status) || res.calls.length)
        bad.push(`${op.operationId} ${what}: ${res.status} calls ${res.calls.length} ${res.body.slice(0, 120)}`);
    }
  }
  expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  console.log(`bodies: ${n} cases, ${bad.length} unexpected`);
  expect(bad).toEqual([]);
});

describe('WebSocket bad input (beyond ws-events.test.ts)', () => {
  test('when a text frame is not valid UTF-8, then the socket is closed with 1007', async () => {
    const s = await connectWs(p.svc.wsUrl, 'viewer');
    // ws validates UTF-8 on receipt; a client must bypass its own encoder: a raw masked text frame.
    const payload = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), Buffer.alloc(4), payload]);
    (s.ws as unknown as { _socket: import('node:net').Socket })._socket.write(frame);
    expect((await s.closed).code).toBe(1007);
  });

  test('when frames have unknown types, are deeply nested or carry prototype keys, then each gets an error frame and the socket stays usable', async () => {
    const s = await connectWs(p.svc.wsUrl, 'viewer');
    try {
      s.send({ type: 'hello', id: 'u1' });
      s.send({ type: 'subscribe', id: 'u2', channel: 'events', filters: { __proto__: { admin: true } }, extra: 1 });
      s.send(`{"type":"subscribe","id":"u3","channel":"events","filters":${'['.repeat(2000)}${']'.repeat(2000)}}`);
      s.send({ type: 'subscribe', id: 'u4', channel: 'logs', container: 'x'.repeat(5000) });
      s.send({ type: 'unsubscribe', id: 'u5' });
      await s.waitFor((f) => f.id === 'u5');
      const codes = s.frames.filter((f) => f.type === 'error').map((f) => [f.id, (f.data as { code: string }).code]);
      expect(codes).toEqual([
        ['u1', 'invalid_request'],
        ['u2', 'invalid_request'],
        ['u3', 'invalid_request'],
        ['u4', 'invalid_request'],
        ['u5', 'not_found'],
      ]);
      s.send({ type: 'subscribe', id: 'ok', channel: 'events' });
      expect((await s.waitFor((f) => f.id === 'ok')).type).toBe('subscribed');
    } finally {
      s.ws.terminate();
    }
  });

  test('when one connection asks for more subscriptions than allowed, then the extra ones are refused rate_limited and the rest keep working', async () => {
    const s = await connectWs(p.svc.wsUrl, 'viewer');
    try {
      for (let i = 0; i < 33; i++) s.send({ type: 'subscribe', id: `s${i}`, channel: 'events' });
      const extra = await s.waitFor((f) => f.id === 's32');
      expect(extra.type).toBe('error');
      expect((extra.data as { code: string }).code).toBe('rate_limited');
      expect(s.frames.filter((f) => f.type === 'subscribed')).toHaveLength(32);
      expect(s.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      s.ws.terminate();
    }
  });
});
