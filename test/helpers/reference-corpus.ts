import fc from 'fast-check';

/*
 * References generated from the distribution/reference grammar, for the registry-identity property (unit) and
 * the engine matrix (integration). `engineReads` is the engine's rule written again here from the Go source
 * (reference.ParseNormalizedNamed → splitDockerDomain), independently of src/, so the two can be compared.
 */

/** What the engine makes of a string it is sent: the registry it contacts and the repository it asks for. */
export function engineReads(sent: string): { registry: string; repository: string } {
  let name = sent;
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) name = name.slice(0, colon);
  const i = name.indexOf('/');
  let domain = 'docker.io';
  let remainder = name;
  if (i !== -1 && (/[.:]/.test(name.slice(0, i)) || name.slice(0, i) === 'localhost')) {
    domain = name.slice(0, i);
    remainder = name.slice(i + 1);
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  return { registry: domain, repository: remainder };
}

const lower = 'abcdefghijklmnopqrstuvwxyz0123456789';
const alnum = fc.string({ unit: fc.constantFrom(...lower), minLength: 1, maxLength: 6 });
const separator = fc.constantFrom('.', '_', '__', '-', '--');
const pathComponent = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 2 }))
  .map(([a, rest]) => a + rest.map(([s, b]) => s + b).join(''));
/** Path components that look like hosts: the ones a familiar-name rewrite would turn into a registry. */
const hostLikeComponent = fc.constantFrom('evil.com', 'localhost', '127.0.0.1', 'docker.io', 'index.docker.io', 'a.b', 'x--y.example.org');
const label = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789'), minLength: 1, maxLength: 8 });
const dnsName = fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.'));
const port = fc.integer({ min: 1, max: 65535 }).map(String);
const ipv6 = fc.constantFrom('[::1]', '[2001:db8::1]', '[fe80::1:2]', '[2001:DB8:0:0:0:0:0:1]');
const host = fc.oneof(
  fc
    .tuple(dnsName, fc.option(port, { nil: undefined }))
    .map(([h, p]) => (p ? `${h}:${p}` : h))
    .filter((h) => h.includes('.') || h.includes(':')),
  fc.tuple(fc.constant('localhost'), fc.option(port, { nil: undefined })).map(([h, p]) => (p ? `${h}:${p}` : h)),
  fc.tuple(fc.constantFrom('LOCALHOST', 'Localhost'), port).map(([h, p]) => `${h}:${p}`),
  fc.tuple(ipv6, fc.option(port, { nil: undefined })).map(([h, p]) => (p ? `${h}:${p}` : h)),
  fc.constantFrom('docker.io', 'index.docker.io', 'registry-1.docker.io', 'Docker.IO', 'INDEX.docker.io', '127.0.0.1:5000', '10.0.0.1'),
);
const tag = fc.tuple(fc.constantFrom(...'abcXYZ019_'), fc.string({ unit: fc.constantFrom(...'abcXYZ019_.-'), maxLength: 12 })).map(([a, b]) => a + b);
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const digest = fc.oneof(
  hex(64).map((h) => `sha256:${h}`),
  hex(128).map((h) => `sha512:${h}`),
);

const path = fc
  .tuple(
    fc.option(fc.constantFrom('library'), { nil: undefined }),
    fc.option(hostLikeComponent, { nil: undefined }),
    fc.array(pathComponent, { minLength: 1, maxLength: 3 }),
  )
  .map(([lib, hostLike, rest]) => [lib, hostLike, ...rest].filter((c): c is string => c !== undefined).join('/'));

/** A valid reference: [host/]path[:tag][@digest]. */
export const validReference = fc
  .tuple(fc.option(host, { nil: undefined }), path, fc.option(tag, { nil: undefined }), fc.option(digest, { nil: undefined }))
  .map(([h, p, t, d]) => `${h ? `${h}/` : ''}${p}${t ? `:${t}` : ''}${d ? `@${d}` : ''}`)
  .filter((r) => r.split(/[:@]/)[0].length <= 255 && !/^[a-f0-9]{64}$/.test(r) && firstComponentFits(r));

/** Without a host, a first path component with a `.` is read as a host by the engine: it must then be one. */
function firstComponentFits(r: string): boolean {
  const slash = r.indexOf('/');
  if (slash < 0) return true;
  const first = r.slice(0, slash);
  if (!first.includes('.') && !first.includes(':') && first !== 'localhost') return true;
  return /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/.test(first);
}

const badPathComponent = fc.constantFrom('-a', 'a-', '_a', 'a_', 'a..b', 'a___b', 'A', 'aB', 'a b', 'a$b', '', 'é', 'a/', 'a?b', 'a#b', '..', 'a%2f');
const badHost = fc.constantFrom(
  'a_b.com',
  '-a.com',
  'a-.com',
  'a.com:port',
  'a.com:',
  '[zz::1]',
  '[::1',
  'a..com',
  ':5000',
  'a.com:5000:1',
  'ex ample.com',
);
const badTag = fc.constantFrom('-t', '.t', 't'.repeat(129), 't t', 't!', '', 't$');
const badDigest = fc.oneof(
  hex(63).map((h) => `sha256:${h}`),
  hex(64).map((h) => `sha256:${h.toUpperCase()}X`),
  hex(64).map((h) => `md5:${h}`),
  hex(64).map((h) => `sha512:${h}`),
  fc.constant('sha256:'),
  fc.constant(''),
);

/** An invalid reference: a valid skeleton with exactly one part broken, or an ambiguity the engines disagree on. */
export const invalidReference = fc.oneof(
  fc.tuple(fc.option(host, { nil: undefined }), pathComponent, badPathComponent).map(([h, a, b]) => `${h ? `${h}/` : ''}${a}/${b}`),
  fc.tuple(badHost, path).map(([h, p]) => `${h}/${p}`),
  fc.tuple(path, badTag).map(([p, t]) => `${p}:${t}`),
  fc.tuple(path, badDigest).map(([p, d]) => `${p}@${d}`),
  // An upper-case first component without `.` or `:`: a host for newer engines, a (bad) Hub name for 20.10.
  fc.tuple(fc.constantFrom('Foo', 'REG', 'Localhostx', 'aB'), path).map(([h, p]) => `${h}/${p}`),
  fc.tuple(path, fc.constantFrom('/', '//x', ':', '@', '::t', ' ', '\n', '\0')).map(([p, s]) => `${p}${s}`),
  fc.tuple(fc.constantFrom('/', ':', '@', ' ', '.', '-'), path).map(([s, p]) => `${s}${p}`),
  hex(64),
  fc.constant('a'.repeat(256)),
  fc.tuple(fc.constantFrom('A', 'Busybox', 'UPPER'), fc.option(tag, { nil: undefined })).map(([n, t]) => (t ? `${n}:${t}` : n)),
);
