import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import fs from 'node:fs';
import path from 'node:path';
import { auth, startService, type TestService, type TokenRole } from '../../helpers/service';
import { testEnv } from '../../../support/test-env';
import { connectWs, upgradeStatus, type TestSocket } from '../../helpers/ws';

// Walks every cell of docs/permissions.md against the running service. Each request is harmless: it names things
// that do not exist (or is invalid, or is a dry run), so an allowed cell answers 404/400/200 and nothing changes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const table = require('../../../scripts/permissions-table.js') as {
  model(): { rest: { method: string; path: string; operationId: string; role: string }[]; ws: { channel: string; role: string }[] };
  expected(role: string, principal: TokenRole | null): 'allowed' | '—' | 401 | 403;
  PRINCIPALS: (TokenRole | null)[];
};

const spec = YAML.parse(fs.readFileSync(path.resolve(__dirname, '../../../openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema?: { pattern?: string } }[] }> & { parameters?: unknown[] }>;
  components: { parameters: Record<string, { name: string; in: string; schema?: { pattern?: string } }> };
};

// 240+ cells, each a real request (some a real engine call): 150 s were seen at load 10 on 2 cores.
jest.setTimeout(400_000);

const run = Math.random().toString(36).slice(2, 8);
const absent = {
  container: `dkh-perm-absent-${run}`,
  // A valid reference in an allowed registry that holds no such repository.
  ref: () => `${testEnv().registry}/dkh-perm-absent-${run}/none:0`,
  hex64: 'f'.repeat(64),
};

type Param = { name: string; in: string; schema?: { pattern?: string } };
const resolve = (p: Param | { $ref: string }): Param => ('$ref' in p ? spec.components.parameters[p.$ref.split('/').pop() as string] : p);

/** A value for a path parameter that names nothing: by the parameter's own grammar. */
function absentValue(p: Param): string {
  const pattern = p.schema?.pattern ?? '';
  if (pattern.includes('{8}-')) return randomUUID();
  if (pattern.includes('{64}')) return absent.hex64;
  if (p.name === 'ref') return absent.ref();
  return absent.container;
}

/** Explicit harmless requests where the generic rule (absent path targets, no body) is not enough. */
const HARMLESS: Record<string, { query?: Record<string, string>; body?: unknown }> = {
  createContainer: { body: {} }, // invalid: no image
  renameContainer: { body: { name: `dkh-perm-new-${run}` } },
  createContainerExec: { body: { cmd: ['true'] } },
  pullImage: { body: {} }, // invalid: no image
  pushImage: { body: {} },
  tagImage: { body: { repository: `dkh-perm-new-${run}`, tag: 'x' } },
  createRegistry: { body: {} }, // invalid: no serverAddress
  createWebhook: { body: {} }, // invalid: no url
  createTrigger: { body: {} }, // invalid: no container
  // The test engine is in no swarm: invalid bodies (no address, no manager, nothing to rotate, no name or image),
  // and a leave that the engine refuses (409 swarm_inactive) without changing anything.
  initSwarm: { body: {} },
  joinSwarm: { body: {} },
  rotateSwarmJoinTokens: { body: {} },
  createSwarmService: { body: {} },
  leaveSwarm: {},
  pruneImages: { query: { dryRun: 'true' }, body: {} },
  createWsTicket: {},
  // Starts (or joins) a check job: it only reads, and asks only allowlisted (loopback) registries.
  checkAllUpdates: {},
  // A stored-registry id that is not stored: answered without any network call.
  searchImages: { query: { registry: randomUUID() } },
};

function buildRequest(op: { method: string; path: string; operationId: string }) {
  const item = spec.paths[op.path];
  const params = [...((item.parameters as Param[]) ?? []), ...(item[op.method.toLowerCase()].parameters ?? [])].map(resolve);
  let url = op.path;
  for (const p of params.filter((x) => x.in === 'path')) url = url.replace(`{${p.name}}`, encodeURIComponent(absentValue(p)));
  const explicit = HARMLESS[op.operationId];
  if (!explicit && op.method !== 'GET' && !params.some((p) => p.in === 'path')) {
    throw new Error(`${op.operationId}: a mutating operation without a path target needs a harmless request in HARMLESS`);
  }
  return { url, query: explicit?.query ?? {}, body: explicit?.body };
}

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ DATA_DIR: fs.mkdtempSync('/tmp/dkh-perm-') });
});
afterAll(async () => {
  await svc?.close();
  fs.rmSync(svc.config.dataDir, { recursive: true, force: true });
});

const roleHeaders = (p: TokenRole | null) => (p ? auth(p) : {});

const ENGINE_CODES = new Set(['engine_error', 'engine_unavailable', 'engine_timeout']);

test('when every REST operation and WebSocket channel is called with no token, viewer, operator and admin, then each answer matches docs/permissions.md', async () => {
  const m = table.model();
  const differing: string[] = [];
  let checked = 0;
  const undeclared = m.rest.filter((op) => op.role === 'undeclared').map((op) => op.operationId);
  expect(undeclared).toEqual([]);

  for (const op of m.rest) {
    const r = buildRequest(op);
    for (const principal of table.PRINCIPALS) {
      const want = table.expected(op.role, principal);
      const send = () => {
        const req = svc.http[op.method.toLowerCase() as 'get'](r.url).query(r.query).set(roleHeaders(principal));
        return r.body !== undefined ? req.send(r.body as object) : req;
      };
      let res = await send();
      // The engine's own refusals (its one /system/df at a time, taken by another file's service) are not a role
      // decision: such a cell is asked again, a few times, before it counts.
      for (let i = 0; i < 3 && want === 'allowed' && ENGINE_CODES.has(res.body?.code); i++) {
        await new Promise((done) => setTimeout(done, 2000));
        res = await send();
      }
      checked++;
      const ok = want === 'allowed' ? ![401, 403].includes(res.status) && res.status < 500 : res.status === want;
      if (!ok) differing.push(`${op.operationId} as ${principal ?? 'no token'}: want ${want}, got ${res.status} ${res.body?.code ?? ''}`);
    }
  }

  const sockets = new Map<TokenRole, TestSocket>();
  for (const role of ['viewer', 'operator', 'admin'] as const) sockets.set(role, await connectWs(svc.wsUrl, role));
  try {
    for (const ch of m.ws.filter((c) => c.role !== 'unwired')) {
      const frame = await harmlessFrame(sockets.get('admin') as TestSocket, ch.channel);
      for (const principal of table.PRINCIPALS) {
        const want = table.expected(ch.role, principal);
        checked++;
        if (principal === null) {
          const status = await upgradeStatus(svc.wsUrl);
          if (status !== 401) differing.push(`ws ${ch.channel} with no token: want 401, got ${status}`);
          continue;
        }
        const answer = await subscribeOnce(sockets.get(principal) as TestSocket, { ...frame, channel: ch.channel });
        const forbidden = answer === 'forbidden';
        if ((want === 403) !== forbidden || answer === 'invalid_request') {
          differing.push(`ws ${ch.channel} as ${principal}: want ${want === 403 ? 'forbidden' : 'allowed'}, got ${answer}`);
        }
      }
    }
  } finally {
    for (const s of sockets.values()) s.ws.terminate();
  }

  console.log(`permission matrix: ${checked} cells checked, ${differing.length} differing`);
  expect(differing).toEqual([]);
  expect(checked).toBe((m.rest.length + m.ws.filter((c) => c.role !== 'unwired').length) * 4);
});

let seq = 0;
/** Subscribes once and answers `subscribed` or the error code (unsubscribing again when it opened). */
async function subscribeOnce(s: TestSocket, frame: Record<string, unknown>): Promise<string> {
  const id = `perm-${++seq}`;
  s.send({ type: 'subscribe', id, ...frame });
  const f = await s.waitFor((x) => x.id === id && ['subscribed', 'error', 'end'].includes(x.type));
  if (f.type === 'subscribed') {
    s.send({ type: 'unsubscribe', id });
    return 'subscribed';
  }
  return f.type === 'error' ? (f.data as { code: string }).code : 'ended';
}

/** A subscribe frame the channel accepts as well-formed and that targets nothing that exists. */
async function harmlessFrame(admin: TestSocket, channel: string): Promise<Record<string, unknown>> {
  const candidates: Record<string, unknown>[] = [
    {},
    { jobId: randomUUID() },
    { container: absent.container },
    { execId: absent.hex64 },
    { service: absent.container },
  ];
  for (const c of candidates) {
    if ((await subscribeOnce(admin, { ...c, channel })) !== 'invalid_request') return c;
  }
  throw new Error(`no harmless subscribe frame for channel ${channel}: add one to harmlessFrame`);
}
