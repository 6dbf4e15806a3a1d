import { checkReferencePattern } from '../../../src/domain/images/reference-pattern';

describe('checkReferencePattern (the engine matches it with Go path.Match)', () => {
  test.each(['seed/*:1.*', 'busybox', '127.0.0.1:5055/seed/web:1.4?', 'team/[a-c]pp:*', 'app@sha256:*', '[0-9][0-9]'])(
    'when %s, then it is accepted',
    (p) => {
      expect(checkReferencePattern(p)).toBe(p);
    },
  );

  test.each(['R_L__[', '[Z_@', ':A.]./_', '[]', '[a-]', '[-a]', 'a[b', 'x]'])('when %s (malformed for the engine), then invalid_request', (p) => {
    expect(() => checkReferencePattern(p)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});
