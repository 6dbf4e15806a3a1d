import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const table = require('../../../scripts/permissions-table.js') as {
  render(m: Model): string;
  expected(role: string, principal: string | null): unknown;
  OUT: string;
};
type Model = { rest: { operationId: string; role: string }[]; ws: { channel: string; role: string }[] };

/** The model as the script computes it from the command line (tsx compiles the gateway: faster than ts-jest). */
function currentModel(): Model {
  const env = { ...process.env };
  delete env.JEST_WORKER_ID;
  const out = execFileSync(process.execPath, [path.resolve(__dirname, '../../../scripts/permissions-table.js'), '--json'], { env });
  return JSON.parse(out.toString()) as Model;
}

describe('docs/permissions.md', () => {
  let model: Model;
  beforeAll(() => {
    model = currentModel();
  });

  test('when generated from openapi.yaml and the WebSocket gateway now, then it equals the committed file (run `node scripts/permissions-table.js` when not)', () => {
    expect(fs.readFileSync(table.OUT, 'utf8')).toBe(table.render(model));
  });

  test('when read, then every operation declares its security (public or a role) and every channel a role', () => {
    expect(model.rest.filter((op) => op.role === 'undeclared').map((op) => op.operationId)).toEqual([]);
    expect(model.ws.map((c) => c.channel)).toEqual(expect.arrayContaining(['events', 'job', 'logs', 'stats']));
  });

  test('when a cell is computed, then no token is 401, a lower role 403, an equal or higher role allowed, public always allowed', () => {
    expect(table.expected('operator', null)).toBe(401);
    expect(table.expected('operator', 'viewer')).toBe(403);
    expect(table.expected('operator', 'operator')).toBe('allowed');
    expect(table.expected('operator', 'admin')).toBe('allowed');
    expect(table.expected('public', null)).toBe('allowed');
  });
});
