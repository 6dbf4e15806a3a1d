import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, parseDockerHost, parseTokens } from '../../src/config/config';

const gen = () => 'generated-token-value';
const load = (env: Record<string, string>) => loadConfig(env, gen);

describe('loadConfig', () => {
  test('when nothing is set, then defaults are safe: loopback, local socket, docker.io only, a generated admin token', () => {
    const c = load({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8080);
    expect(c.engine).toEqual({ kind: 'socket', socketPath: '/var/run/docker.sock' });
    expect(c.allowedRegistries).toEqual(['docker.io']);
    expect(c.generatedToken).toBe(true);
    expect(c.tokens).toEqual([{ name: 'generated-admin', role: 'admin', token: 'generated-token-value' }]);
  });

  test('when API_TOKENS is set, then no token is generated', () => {
    const c = load({ API_TOKENS: 'ci:operator:0123456789abcdefXYZ' });
    expect(c.generatedToken).toBe(false);
    expect(c.tokens).toEqual([{ name: 'ci', role: 'operator', token: '0123456789abcdefXYZ' }]);
  });

  test.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DOCKER_HOST: 'ssh://host' }, /DOCKER_HOST/],
    [{ DOCKER_HOST: 'unix://relative.sock' }, /DOCKER_HOST/],
    [{ API_TOKENS: 'ci:root:0123456789abcdef' }, /role "root"/],
    [{ API_TOKENS: 'ci:admin:short' }, /at least 16/],
    [{ API_TOKENS: 'a:admin:0123456789abcdef,a:viewer:0123456789abcdef' }, /twice/],
    [{ API_TOKENS: 'a:admin:0123456789abcdef,b:viewer:0123456789abcdef' }, /"a" and "b" have the same token/],
    [{ API_TOKENS: 'justatoken' }, /name:role:token/],
    [{ ALLOWED_REGISTRIES: 'http://evil.example/path' }, /ALLOWED_REGISTRIES/],
    [{ ALLOWED_ORIGINS: 'not an origin' }, /ALLOWED_ORIGINS/],
    [{ ALLOWED_BIND_PATHS: 'relative/path' }, /ALLOWED_BIND_PATHS/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ ALLOWED_BIND_PATHS: '/srv/data:rwx' }, /ALLOWED_BIND_PATHS/],
    [{ CREATE_NO_NEW_PRIVILEGES: 'yes' }, /CREATE_NO_NEW_PRIVILEGES/],
    [{ CREATE_PIDS_LIMIT: '-1' }, /CREATE_PIDS_LIMIT/],
    [{ CREATE_MIN_HOST_PORT: '0' }, /CREATE_MIN_HOST_PORT/],
    [{ CREATE_ALLOWED_HOST_IPS: '0.0.0.0,localhost' }, /CREATE_ALLOWED_HOST_IPS/],
  ])('when %j, then a ConfigError names the variable', (env, message) => {
    expect(() => load(env as Record<string, string>)).toThrow(ConfigError);
    expect(() => load(env as Record<string, string>)).toThrow(message);
  });

  test('when nothing is set, then the create policy is the safe default; each setting changes it', () => {
    expect(load({}).createPolicy).toEqual({ noNewPrivileges: true, pidsLimit: 512, minHostPort: 1024, allowedHostIps: ['0.0.0.0', '127.0.0.1'] });
    const c = load({
      CREATE_NO_NEW_PRIVILEGES: 'false',
      CREATE_PIDS_LIMIT: '0',
      CREATE_MIN_HOST_PORT: '1',
      CREATE_ALLOWED_HOST_IPS: '127.0.0.1,::1',
    });
    expect(c.createPolicy).toEqual({ noNewPrivileges: false, pidsLimit: 0, minHostPort: 1, allowedHostIps: ['127.0.0.1', '::1'] });
  });

  test('when bind paths are given, then each is read-only unless marked :rw', () => {
    expect(load({ ALLOWED_BIND_PATHS: '/srv/conf, /srv/data:rw,/srv/logs/:ro' }).allowedBindPaths).toEqual([
      { path: '/srv/conf', writable: false },
      { path: '/srv/data', writable: true },
      { path: '/srv/logs', writable: false },
    ]);
  });

  test('when lists are given, then they are split on commas and trimmed', () => {
    const c = load({ ALLOWED_REGISTRIES: 'docker.io, 127.0.0.1:5000 ,registry.example.com', ALLOWED_ORIGINS: 'http://localhost:3000' });
    expect(c.allowedRegistries).toEqual(['docker.io', '127.0.0.1:5000', 'registry.example.com']);
    expect(c.allowedOrigins).toEqual(['http://localhost:3000']);
  });
});

describe('parseDockerHost', () => {
  test('when tcp with TLS verify, then the cert path is used', () => {
    expect(parseDockerHost('tcp://10.0.0.2:2376', '1', '/certs')).toEqual({
      kind: 'tcp',
      host: '10.0.0.2',
      port: 2376,
      tls: { certPath: '/certs', verify: true },
    });
  });

  test('when tcp without TLS, then plain http', () => {
    expect(parseDockerHost('tcp://127.0.0.1:2375')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375 });
  });

  test('when DOCKER_TLS_VERIFY is 0, then it does not turn verification on', () => {
    expect(parseDockerHost('tcp://h:2375', '0')).toEqual({ kind: 'tcp', host: 'h', port: 2375 });
  });
});

describe('parseTokens', () => {
  test('when a token contains colons, then everything after the role is the token', () => {
    expect(parseTokens('svc:viewer:abc:def:0123456789')).toEqual([{ name: 'svc', role: 'viewer', token: 'abc:def:0123456789' }]);
  });
});

describe('DATA_KEY and AUDIT_RETENTION_DAYS', () => {
  const gen = () => 'generated-token-0123456789';
  test('when DATA_KEY is 64 hex digits or base64 of 32 bytes, then it is the key; anything else is refused', () => {
    expect(loadConfig({ DATA_KEY: 'ab'.repeat(32) }, gen).dataKey).toEqual(Buffer.alloc(32, 0xab));
    expect(loadConfig({ DATA_KEY: Buffer.alloc(32, 1).toString('base64') }, gen).dataKey).toEqual(Buffer.alloc(32, 1));
    expect(loadConfig({}, gen).dataKey).toBeUndefined();
    expect(() => loadConfig({ DATA_KEY: 'too-short' }, gen)).toThrow(ConfigError);
  });

  test('when AUDIT_RETENTION_DAYS is absent, then rows are kept 90 days; a negative value is refused', () => {
    expect(loadConfig({}, gen).auditRetentionDays).toBe(90);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '0' }, gen).auditRetentionDays).toBe(0);
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '-1' }, gen)).toThrow(ConfigError);
  });
});

describe('engines: ENGINES, ENGINES_FILE, ENGINES_CERT_DIR, ENGINES_REQUIRED', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'engines-'));
  const certDir = (dir: string) => {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(dir, f), 'x');
    return dir;
  };

  test('when nothing is set, then there is one engine, `default`, which is DOCKER_HOST and required', () => {
    const c = load({ DOCKER_HOST: 'unix:///run/x.sock' });
    expect(c.engines).toEqual([
      { name: 'default', endpoint: { kind: 'socket', socketPath: '/run/x.sock' }, timeoutMs: 10000, required: true, labels: {} },
    ]);
  });

  test('when ENGINES names unix and tcp engines, then they follow `default`; a tcp engine with a directory under ENGINES_CERT_DIR gets mutual TLS', () => {
    const dir = tmp();
    certDir(path.join(dir, 'edge-1'));
    const c = load({
      ENGINES: 'bb=unix:///tmp/b.sock,edge-1=tcp://127.0.0.1:2376,plain.2=tcp://10.0.0.2:2375',
      ENGINES_CERT_DIR: dir,
      ENGINES_REQUIRED: 'default,bb',
    });
    expect(c.engines.map((e) => [e.name, e.required])).toEqual([
      ['default', true],
      ['bb', true],
      ['edge-1', false],
      ['plain.2', false],
    ]);
    expect(c.engines[1].endpoint).toEqual({ kind: 'socket', socketPath: '/tmp/b.sock' });
    expect(c.engines[2].endpoint).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2376, tls: { certPath: path.join(dir, 'edge-1'), verify: true } });
    expect(c.engines[3].endpoint).toEqual({ kind: 'tcp', host: '10.0.0.2', port: 2375 });
  });

  test('when ENGINES_FILE lists engines, then host, TLS directory, timeout, required and labels are taken from it', () => {
    const dir = tmp();
    const tls = certDir(path.join(dir, 'cc'));
    const file = path.join(dir, 'engines.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        engines: [{ name: 'cc', host: 'tcp://127.0.0.1:2377', tlsCertPath: tls, timeoutMs: 3000, required: true, labels: { site: 'lab' } }],
      }),
    );
    const c = load({ ENGINES_FILE: file });
    expect(c.engines[1]).toEqual({
      name: 'cc',
      endpoint: { kind: 'tcp', host: '127.0.0.1', port: 2377, tls: { certPath: tls, verify: true } },
      timeoutMs: 3000,
      required: true,
      labels: { site: 'lab' },
    });
  });

  test.each([
    [{ ENGINES: 'default=unix:///tmp/x.sock' }, /ENGINES: the engine name "default" is reserved/],
    [{ ENGINES: 'all=unix:///tmp/x.sock' }, /reserved/],
    [{ ENGINES: 'a=unix:///tmp/x.sock' }, /engine name "a" must match/],
    [{ ENGINES: '-x=unix:///tmp/x.sock' }, /engine name "-x"/],
    [{ ENGINES: 'bb=unix:///tmp/x.sock,bb=unix:///tmp/y.sock' }, /"bb" is given twice/],
    [{ ENGINES: 'bb=ssh://host' }, /ENGINES \(bb\) must be unix/],
    [{ ENGINES: 'bb' }, /must be name=unix/],
    [{ ENGINES_REQUIRED: 'nope' }, /ENGINES_REQUIRED: no engine named "nope"/],
    [{ ENGINES_FILE: '/nonexistent/engines.json' }, /ENGINES_FILE: .* is not readable JSON/],
    [{ API_TOKENS: 'ci:admin:0123456789abcdefXYZ:engines=bb' }, /"ci" names engine "bb", which is not configured/],
  ])('when %j, then start-up stops naming the bad entry', (env, message) => {
    expect(() => load(env as Record<string, string>)).toThrow(message);
  });

  test('when ENGINES_FILE has an unknown field or a TLS directory without its files, then start-up stops naming the engine', () => {
    const dir = tmp();
    const file = path.join(dir, 'e.json');
    fs.writeFileSync(file, JSON.stringify({ engines: [{ name: 'cc', host: 'tcp://127.0.0.1:1', socket: 'x' }] }));
    expect(() => load({ ENGINES_FILE: file })).toThrow(/ENGINES_FILE: engines.0: Unrecognized key/);
    fs.writeFileSync(file, JSON.stringify({ engines: [{ name: 'cc', host: 'tcp://127.0.0.1:1', tlsCertPath: dir }] }));
    expect(() => load({ ENGINES_FILE: file })).toThrow(/ENGINES_FILE \(cc\): .* has no ca\.pem, cert\.pem, key\.pem/);
  });

  test('when a token names its engines, then it is limited to them; a token whose secret has colons still parses', () => {
    const c = load({
      ENGINES: 'edge-1=unix:///tmp/e1.sock,edge-2=unix:///tmp/e2.sock',
      API_TOKENS: 'ops:operator:abc:def:0123456789abcdef:engines=edge-1|edge-2',
    });
    expect(c.tokens).toEqual([{ name: 'ops', role: 'operator', token: 'abc:def:0123456789abcdef', engines: ['edge-1', 'edge-2'] }]);
  });
});
