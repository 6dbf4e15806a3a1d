import { parseReference } from '../../../src/domain/images/reference';

// A fuller corpus after distribution/reference's reference_test.go and normalize_test.go (written from memory of
// those tables, not copied): what ParseNormalizedNamed accepts, as registry/repository:tag@digest, and what it refuses.
const H64 = 'f'.repeat(64);
const H128 = 'f'.repeat(128);

const valid: [string, string][] = [
  ['test_com', 'docker.io/library/test_com:latest'],
  ['test.com:tag', 'docker.io/library/test.com:tag'],
  ['test.com:5000', 'docker.io/library/test.com:5000'],
  ['test.com/repo:tag', 'test.com/repo:tag'],
  ['test:5000/repo', 'test:5000/repo:latest'],
  ['test:5000/repo:tag', 'test:5000/repo:tag'],
  [`test:5000/repo@sha256:${H64}`, `test:5000/repo@sha256:${H64}`],
  [`test:5000/repo:tag@sha256:${H64}`, `test:5000/repo:tag@sha256:${H64}`],
  ['lowercase:Uppercase', 'docker.io/library/lowercase:Uppercase'],
  ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com/bar/baz/quux:latest'],
  ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com/bar/baz/quux:some-long-tag'],
  ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io/test.example.com/my-app:test.example.com'],
  ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com/myimage:xn--n3h.com'],
  [`xn--7o8h.com/myimage:xn--7o8h.com@sha512:${H128}`, `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${H128}`],
  ['foo_bar.com:8080', 'docker.io/library/foo_bar.com:8080'],
  ['foo/foo_bar.com:8080', 'docker.io/foo/foo_bar.com:8080'],
  ['192.168.1.1/app', '192.168.1.1/app:latest'],
  ['192.168.1.1:5000/app:1', '192.168.1.1:5000/app:1'],
  ['[2001:db8::1]/app', '[2001:db8::1]/app:latest'],
  ['[2001:db8::1]:5000/app', '[2001:db8::1]:5000/app:latest'],
  ['[2001:db8:1:2:3:4:5:6]/app:tag', '[2001:db8:1:2:3:4:5:6]/app:tag'],
  ['localhost/foo', 'localhost/foo:latest'],
  ['localhost:5000/foo/bar:baz', 'localhost:5000/foo/bar:baz'],
  ['docker.io/foo', 'docker.io/library/foo:latest'],
  ['docker.io/library/foo', 'docker.io/library/foo:latest'],
  ['index.docker.io/foo/bar', 'docker.io/foo/bar:latest'],
  ['a.b-c_d__e---f', 'docker.io/library/a.b-c_d__e---f:latest'],
  ['foo:_tag', 'docker.io/library/foo:_tag'],
  ['foo:' + 'a'.repeat(128), 'docker.io/library/foo:' + 'a'.repeat(128)],
  ['a/'.repeat(63) + 'abcdefghi', 'docker.io/' + 'a/'.repeat(63) + 'abcdefghi:latest'],
];

const invalid: string[] = [
  '',
  ':justtag',
  `@sha256:${H64}`,
  `validname@invaliddigest:${H64}`,
  `validname@sha256:${'f'.repeat(63)}`,
  `validname@sha512:${H64}`,
  'Uppercase:tag',
  'test:5000/Uppercase/lowercase:tag',
  'aa/asdf$$^/aa',
  '-foo',
  'foo-',
  'foo_',
  '_foo',
  'foo.-bar',
  'foo___bar',
  'foo//bar',
  'foo/',
  '/foo',
  'foo:-tag',
  'foo:.tag',
  'foo:' + 'a'.repeat(129),
  'a/'.repeat(128) + 'a',
  '[fe80::1%eth0]:5000/app',
  '[2001:db8::1]',
  'localhost:port/app',
  'foo@sha256:abc',
  'foo:tag@',
  H64,
  'foo bar',
  'foo\tbar',
  'foo:tag:tag',
];

const format = (r: ReturnType<typeof parseReference>) => `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;

describe('image references: the distribution/reference corpus', () => {
  test.each(valid)('when %s, then it normalizes to %s', (input, want) => {
    expect(format(parseReference(input))).toBe(want);
  });

  test.each(invalid.map((s) => [s]))('when %j, then invalid_reference', (input) => {
    expect(() => parseReference(input)).toThrow(expect.objectContaining({ code: 'invalid_reference' }));
  });
});
