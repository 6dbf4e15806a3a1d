import { roleAllows } from '../../src/domain/auth/roles';
import { bearerToken, TokenVerifier } from '../../src/domain/auth/tokens';

describe('roles', () => {
  test.each([
    ['viewer', 'viewer', true],
    ['viewer', 'operator', false],
    ['viewer', 'admin', false],
    ['operator', 'viewer', true],
    ['operator', 'operator', true],
    ['operator', 'admin', false],
    ['admin', 'viewer', true],
    ['admin', 'operator', true],
    ['admin', 'admin', true],
  ] as const)('when a %s asks for something needing %s, then allowed is %s', (have, need, expected) => {
    expect(roleAllows(have, need)).toBe(expected);
  });
});

describe('TokenVerifier', () => {
  const v = new TokenVerifier([
    { name: 'a', role: 'admin', token: 'token-of-a-0123456789' },
    { name: 'b', role: 'viewer', token: 'token-of-b-0123456789' },
  ]);

  test('when a known token is given, then its name and role come back, not the token', () => {
    expect(v.verify('token-of-b-0123456789')).toEqual({ name: 'b', role: 'viewer' });
  });

  test.each([undefined, '', 'token-of-a', 'token-of-a-0123456789x', 'TOKEN-OF-A-0123456789'])('when %j is given, then nobody', (t) => {
    expect(v.verify(t)).toBeUndefined();
  });
});

describe('bearerToken', () => {
  test.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer   abc  ', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('when the header is %j, then the token is %j', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });
});
