// Writes dist/openapi.json: the parsed openapi.yaml with the digest of the text it came from. The service
// uses it only when the digest matches the openapi.yaml it serves, so it can never be stale.
const fs = require('node:fs');
const path = require('node:path');
const { createHash } = require('node:crypto');
const YAML = require('yaml');

const root = path.resolve(__dirname, '..');
const text = fs.readFileSync(path.join(root, 'openapi.yaml'), 'utf8');
const out = path.join(root, 'dist', 'openapi.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ sha256: createHash('sha256').update(text).digest('hex'), doc: YAML.parse(text) }));
