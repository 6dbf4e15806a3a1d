import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { toDomainError, transferErrorCode, withoutEcho } from '../../src/engine/engine-errors';
import { problemOf, toProblemError } from '../../src/http/problem';
import { DomainError } from '../../src/domain/errors';

/** dockerode's error for an engine answer with this status and message. */
const engineAnswer = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } });

describe('error texts a user reads', () => {
  test('when the engine says a 404 twice, then the detail says it once', () => {
    const err = toDomainError(engineAnswer(404, 'no such image: x:1: No such image: x:1'), { notFound: 'image_not_found' });
    expect({ code: err.code, message: err.message }).toEqual({ code: 'image_not_found', message: 'No such image: x:1' });
    expect(withoutEcho('No such container: abc')).toBe('No such container: abc');
    expect(withoutEcho('a: b: a: b')).toBe('a: b');
  });

  test('when a pull cannot resolve Docker Hub, then registry_unreachable naming the failure, not engine_error', () => {
    const dns = engineAnswer(500, 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host');
    const err = toDomainError(dns, { registryCall: true });
    expect(err.code).toBe('registry_unreachable');
    expect(err.message).toMatch(/could not reach the registry: .*no such host/);
    // Only calls that go to a registry read the text: a 500 elsewhere stays an engine error.
    expect(toDomainError(dns).code).toBe('engine_error');
    expect(toDomainError(engineAnswer(500, 'devmapper: thin pool full'), { registryCall: true }).code).toBe('engine_error');
  });

  test("when a pull or push stream ends in an {error} line, then the engine's text decides registry_unreachable, registry_auth_failed or engine_error", () => {
    const table: [string, string][] = [
      // Recorded from dockerd 20.10: a registry that drops every blob connection, then one that is gone.
      ['error pulling image configuration: download failed after attempts=6: EOF', 'registry_unreachable'],
      [
        'error pulling image configuration: download failed after attempts=6: dial tcp 127.0.0.1:5999: connect: connection refused',
        'registry_unreachable',
      ],
      ['dial tcp 127.0.0.1:5999: connect: connection refused', 'registry_unreachable'],
      ['read tcp 127.0.0.1:41822->127.0.0.1:5055: read: connection reset by peer', 'registry_unreachable'],
      ['unexpected EOF', 'registry_unreachable'],
      ['Get "https://r.example/v2/": net/http: TLS handshake timeout', 'registry_unreachable'],
      ['unauthorized: authentication required', 'registry_auth_failed'],
      ['denied: requested access to the resource is denied', 'registry_auth_failed'],
      ['no basic auth credentials', 'registry_auth_failed'],
      ['failed to register layer: Error processing tar file(exit status 1): no space left on device', 'engine_error'],
      ['denied: access forbidden', 'registry_auth_failed'],
      ['Head "https://r.example/v2/app/manifests/1": unauthorized', 'registry_auth_failed'],
      ['filesystem layer verification failed for digest sha256:abc', 'engine_error'],
      ['failed to register layer: open /var/lib/docker/overlay2/x/diff: permission denied', 'engine_error'],
      ['error pulling image configuration: download failed after attempts=6: write /tmp/x: no space left on device', 'engine_error'],
      ['EOFs are fine here', 'engine_error'],
    ];
    for (const [message, code] of table) expect([message, transferErrorCode(message)]).toEqual([message, code]);
  });

  test('when the engine socket does not exist, then the detail names its path', () => {
    const enoent = Object.assign(new Error('connect ENOENT /no/such/docker.sock'), { code: 'ENOENT', address: '/no/such/docker.sock' });
    const err = toDomainError(enoent);
    expect(err.code).toBe('engine_unavailable');
    expect(err.message).toBe('the Docker engine cannot be reached at /no/such/docker.sock (ENOENT)');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2375'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 2375 });
    expect(toDomainError(refused).message).toBe('the Docker engine cannot be reached at 127.0.0.1:2375 (ECONNREFUSED)');
  });

  test("when a body is missing, then the problem says so in plain words, not the validator's", () => {
    const missing = toProblemError({ status: 400, errors: [{ path: '/body', message: "must have required property 'body'" }] });
    expect(missing.message).toBe('body is missing: this operation needs a JSON body');
    const noType = toProblemError({ status: 415, message: 'unsupported media type undefined' });
    expect(noType.message).toBe('this operation needs a JSON body, sent with Content-Type: application/json');
  });

  test("when a policy refuses an admin, then the title speaks of policy, not of the token's role", () => {
    const policy = problemOf(new DomainError('policy_denied', 'network "host" shares another namespace and is not allowed'));
    const role = problemOf(new DomainError('forbidden', 'this needs the admin role'));
    expect(policy.status).toBe(403);
    expect(policy.body.title).not.toMatch(/role/);
    expect(policy.body.title).not.toBe(role.body.title);
  });

  test("openapi.yaml's info.version is package.json's version", () => {
    const root = path.resolve(__dirname, '../..');
    const spec = YAML.parse(fs.readFileSync(path.join(root, 'openapi.yaml'), 'utf8')) as { info: { version: string } };
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(spec.info.version).toBe(pkg.version);
  });
});
