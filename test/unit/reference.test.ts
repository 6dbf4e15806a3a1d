import { formatReference, parseImageLookup, parseReference } from '../../src/domain/images/reference';
import { DomainError } from '../../src/domain/errors';

// Cases from distribution/reference's grammar and its normalize tests.
const valid: [string, { registry: string; repository: string; tag?: string; digest?: string }][] = [
  ['busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
  ['busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }],
  ['user/name:tag', { registry: 'docker.io', repository: 'user/name', tag: 'tag' }],
  ['docker.io/library/ubuntu:22.04', { registry: 'docker.io', repository: 'library/ubuntu', tag: '22.04' }],
  ['index.docker.io/user/app', { registry: 'docker.io', repository: 'user/app', tag: 'latest' }],
  ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
  ['localhost:5000/team/app:1.0', { registry: 'localhost:5000', repository: 'team/app', tag: '1.0' }],
  ['127.0.0.1:5055/seed/web:1.43', { registry: '127.0.0.1:5055', repository: 'seed/web', tag: '1.43' }],
  ['registry.example.com/a/b/c/d:v1', { registry: 'registry.example.com', repository: 'a/b/c/d', tag: 'v1' }],
  ['Registry.Example.com/app', { registry: 'registry.example.com', repository: 'app', tag: 'latest' }],
  ['[::1]:5000/app:x', { registry: '[::1]:5000', repository: 'app', tag: 'x' }],
  ['a__b/c-d---e/f.g', { registry: 'docker.io', repository: 'a__b/c-d---e/f.g', tag: 'latest' }],
  ['app:TAG_with.Dots-1', { registry: 'docker.io', repository: 'library/app', tag: 'TAG_with.Dots-1' }],
  ['app@sha256:' + 'a'.repeat(64), { registry: 'docker.io', repository: 'library/app', tag: undefined, digest: 'sha256:' + 'a'.repeat(64) }],
  ['host:5000/app:1@sha256:' + 'b'.repeat(64), { registry: 'host:5000', repository: 'app', tag: '1', digest: 'sha256:' + 'b'.repeat(64) }],
];

const invalid: [string, string][] = [
  ['', 'empty'],
  ['UPPER', 'uppercase repository'],
  ['user/UPPER', 'uppercase path'],
  ['a..b', 'double dot separator'],
  ['a/../b', 'path traversal'],
  ['-leading', 'leading dash'],
  ['trailing-', 'trailing dash'],
  ['app:', 'empty tag'],
  ['app:-tag', 'tag starting with dash'],
  ['app:' + 't'.repeat(129), 'tag longer than 128'],
  ['app@sha256:short', 'short digest'],
  ['app@', 'empty digest'],
  ['app?x=1', 'query character'],
  ['app#frag', 'fragment character'],
  ['app%2Fx', 'percent-encoding'],
  ['app\u0000', 'NUL'],
  ['app\r\nX-Injected: 1', 'CRLF'],
  ['аpp', 'Cyrillic look-alike'],
  ['a/'.repeat(130) + 'a', 'name longer than 255'],
  ['x'.repeat(10000), '10,000 characters'],
  [':tag', 'empty name'],
  ['host:port/app', 'non-numeric port'],
  ['/app', 'leading slash'],
  ['app/', 'trailing slash'],
  ['a//b', 'empty component'],
];

describe('parseReference', () => {
  test.each(valid)('when given %s, then it parses to the engine’s normalized form', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  test.each(invalid)('when given %j (%s), then it throws invalid_reference', (input) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('invalid_reference');
  });

  test('when a name has no tag, then it means :latest, never every tag', () => {
    expect(formatReference(parseReference('team/app'))).toBe('team/app:latest');
  });

  test('when formatted, then official images lose library/ and docker.io like the docker CLI prints them', () => {
    expect(formatReference(parseReference('docker.io/library/busybox:1'))).toBe('busybox:1');
    expect(formatReference(parseReference('localhost:5000/a/b'))).toBe('localhost:5000/a/b:latest');
  });
});

describe('parseImageLookup', () => {
  test.each([['sha256:' + 'c'.repeat(64)], ['c'.repeat(64)], ['abc123']])('when given the id %s, then it goes to the engine unchanged', (input) => {
    expect(parseImageLookup(input).engineName).toBe(input);
  });

  test('when given a reference, then the engine gets its normalized form', () => {
    expect(parseImageLookup('busybox').engineName).toBe('busybox:latest');
    expect(parseImageLookup('127.0.0.1:5055/seed/web:1.43').engineName).toBe('127.0.0.1:5055/seed/web:1.43');
  });

  test.each(['../../containers/json', 'a?b', 'x#y', 'a b'])('when given %j, then invalid_reference', (input) => {
    expect(() => parseImageLookup(input)).toThrow(expect.objectContaining({ code: 'invalid_reference' }));
  });
});
