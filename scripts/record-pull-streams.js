// Records the raw progress streams of real pulls and a push from the isolated engine into
// test/fixtures/pull-streams/*.jsonl, so the progress reducer is tested against what the engine really says.
// Run once against a running test environment: `node scripts/record-pull-streams.js` (needs `.test-env/env`).
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const env = Object.fromEntries(
  fs
    .readFileSync(path.join(root, '.test-env/env'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const socketPath = env.TEST_DOCKER_HOST.replace(/^unix:\/\//, '');
const reg = env.TEST_REGISTRY;
const out = path.join(root, 'test/fixtures/pull-streams');

function call(method, p, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: p, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function record(name, method, p, headers) {
  const res = await call(method, p, headers);
  const lines = res.body.split(/\r?\n/).filter((l) => l.trim().length > 0);
  fs.writeFileSync(path.join(out, `${name}.jsonl`), lines.join('\n') + '\n');
  console.log(`${name}: HTTP ${res.status}, ${lines.length} lines`);
}

const auth = Buffer.from(JSON.stringify({})).toString('base64url');
async function main() {
  fs.mkdirSync(out, { recursive: true });
  // cold/f is the spare repository: recording never races the test file that owns cold/a.
  const a = `${reg}/cold/f`;
  await call('DELETE', `/images/${encodeURIComponent(`${a}:1`)}`);
  await call('DELETE', `/images/${encodeURIComponent(`${a}:2`)}`);
  await record('cold-pull', 'POST', `/images/create?fromImage=${encodeURIComponent(a)}&tag=1`, { 'X-Registry-Auth': auth });
  await record('second-tag-pull', 'POST', `/images/create?fromImage=${encodeURIComponent(a)}&tag=2`, { 'X-Registry-Auth': auth });
  await record('up-to-date-pull', 'POST', `/images/create?fromImage=${encodeURIComponent(a)}&tag=2`, { 'X-Registry-Auth': auth });
  await record('unknown-tag-pull', 'POST', `/images/create?fromImage=${encodeURIComponent(a)}&tag=no-such-tag`, { 'X-Registry-Auth': auth });
  const pushRepo = `${reg}/fixtures/pushed-${Date.now().toString(36)}`;
  await call('POST', `/images/${encodeURIComponent(`${a}:1`)}/tag?repo=${encodeURIComponent(pushRepo)}&tag=1`);
  await record('push', 'POST', `/images/${encodeURIComponent(pushRepo)}/push?tag=1`, { 'X-Registry-Auth': auth });
  // A push to the htpasswd registry uploads every layer (nothing to mount from), with credentials.
  const creds = { username: env.TEST_AUTH_REGISTRY_USER, password: env.TEST_AUTH_REGISTRY_PASSWORD, serveraddress: env.TEST_AUTH_REGISTRY };
  const authPush = `${env.TEST_AUTH_REGISTRY}/fixtures/pushed-${Date.now().toString(36)}`;
  await call('POST', `/images/${encodeURIComponent(`${a}:1`)}/tag?repo=${encodeURIComponent(authPush)}&tag=1`);
  await record('push-upload', 'POST', `/images/${encodeURIComponent(authPush)}/push?tag=1`, {
    // Padded base64url: the engine decodes with Go's base64.URLEncoding, which needs the '=' padding.
    'X-Registry-Auth': Buffer.from(JSON.stringify(creds)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
  });
  for (const r of [`${a}:1`, `${a}:2`, `${pushRepo}:1`, `${authPush}:1`]) await call('DELETE', `/images/${encodeURIComponent(r)}`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
