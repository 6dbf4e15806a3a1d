// Fails when an operation of openapi.yaml was never answered in the test run (test/helpers records each one
// the contract validator matched), so a route cannot exist in the contract without a test behind it.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// The full contract: the engine-scoped copies under /api/v1/engines/{engine} need a test of their own too.
const spec = require('./full-spec').fullSpec();
const seenFile = path.join(root, 'test-results', 'operations.txt');
const seen = new Set(fs.existsSync(seenFile) ? fs.readFileSync(seenFile, 'utf8').split('\n').filter(Boolean) : []);
const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const missing = [];
let total = 0;
for (const [p, item] of Object.entries(spec.paths)) {
  for (const m of methods) {
    if (!item[m]) continue;
    total++;
    if (!seen.has(`${m.toUpperCase()} ${p}`)) missing.push(`${m.toUpperCase()} ${p} (${item[m].operationId})`);
  }
}
console.log(`contract coverage: ${total - missing.length}/${total} operations exercised with response validation on`);
if (missing.length) {
  console.log(`never exercised:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
