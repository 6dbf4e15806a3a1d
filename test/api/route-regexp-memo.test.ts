import { memoizeRouteRegexps } from '../../src/patches/third-party';
import * as pathToRegexpModule from 'path-to-regexp';
import { startService, auth, type TestService } from '../helpers/service';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc.close();
});

describe('route regexps compiled once', () => {
  test('when the same path and options are compiled twice, then the first answer is given again; other options compile anew', () => {
    expect(memoizeRouteRegexps().installed).toBe(true);
    // The module's exports object (an ES module compiled to CommonJS): its `pathToRegexp` is read at each call, as the validator does.
    const mod = pathToRegexpModule;
    const a = mod.pathToRegexp('/api/v1/things/:id', { sensitive: false, end: true });
    expect(mod.pathToRegexp('/api/v1/things/:id', { sensitive: false, end: true })).toBe(a);
    const sensitive = mod.pathToRegexp('/api/v1/things/:id', { sensitive: true, end: true });
    expect(sensitive).not.toBe(a);
    expect(sensitive.regexp.test('/API/v1/things/1')).toBe(false);
    expect(a.regexp.test('/API/v1/things/1')).toBe(true);
  });

  test('when requests are answered, then the contract validator finds their operations from the memo, not by compiling again', async () => {
    const memo = memoizeRouteRegexps();
    await svc.http.get('/api/v1/me').set(auth('viewer'));
    const before = memo.hits();
    for (let i = 0; i < 5; i++) expect((await svc.http.get('/api/v1/me').set(auth('viewer'))).status).toBe(200);
    // The validator tries contract paths in order until one matches: at least one memo hit per request.
    expect(memo.hits() - before).toBeGreaterThanOrEqual(5);
  });
});
