import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { auth } from '../helpers/service';
import { startProxiedService, type ProxiedService } from '../helpers/proxied-service';
import { loadOperations, queryString, rawRequest, valid, type Param } from '../helpers/openapi-fuzz';

// Every operation of openapi.yaml that takes no request body, sent one anyway: the answer is 400 unexpected_body
// and the engine is never called — a body is refused, never silently ignored (`POST …/kill {"signal":"SIGHUP"}`
// once answered 200 and sent SIGKILL).
let p: ProxiedService;
let agent: http.Agent;
let dataDir: string;
const ops = loadOperations();
const bodyless = ops.filter((o) => !o.body);

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-no-body-'));
  p = await startProxiedService({ DATA_DIR: dataDir });
  agent = new http.Agent({ keepAlive: true });
});
afterAll(async () => {
  agent.destroy();
  await p.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** One valid value per parameter the operation needs (fixed seed): the request is wrong only by its body. */
function target(pathTemplate: string, params: Param[]): string {
  const sample = (param: Param) => fc.sample(valid(param.schema), { numRuns: 1, seed: 7 })[0];
  const p = pathTemplate.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const param = params.find((x) => x.in === 'path' && x.name === name)!;
    return encodeURIComponent(String(sample(param)));
  });
  const query = Object.fromEntries(params.filter((x) => x.in === 'query' && x.required).map((x) => [x.name, sample(x)]));
  return p + queryString(query);
}

test('the contract has operations without a body to check', () => {
  expect(bodyless.length).toBeGreaterThan(20);
  expect(bodyless.map((o) => o.operationId)).toEqual(expect.arrayContaining(['killContainer']));
});

test.each(bodyless.map((o) => [o.operationId, o] as const))(
  'when %s gets a JSON body it does not take, then 400 unexpected_body and no engine call',
  async (_id, op) => {
    const url = target(op.path, op.params);
    const { result, calls } = await p.calls(() =>
      rawRequest(agent, p.svc.server.port, op.method, url, { ...auth('admin'), 'content-type': 'application/json' }, '{"signal":"SIGHUP"}'),
    );
    const code = /^application\/problem\+json/.test(String(result.headers['content-type']))
      ? (JSON.parse(result.body) as { code?: string }).code
      : result.body.slice(0, 200);
    expect({ status: result.status, code }).toEqual({ status: 400, code: 'unexpected_body' });
    expect(calls.filter((c) => !c.path.includes('/events'))).toEqual([]);
  },
);

test('when a body-less operation is called without a body, then it is not refused for it', async () => {
  const res = await rawRequest(agent, p.svc.server.port, 'GET', '/api/v1/images', auth('viewer'));
  expect(res.status).toBe(200);
});
