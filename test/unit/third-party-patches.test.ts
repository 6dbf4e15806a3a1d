import { PATCHED, checkVersion, countSends, installedVersion, memoizeRouteRegexps, wrapModemDial, type Dial } from '../../src/patches/third-party';

const mismatch = { ok: false as const, reason: 'example 9.0.0 is installed, its runtime patch was written for 8.4.x' };

describe('runtime patches of third-party internals', () => {
  test.each(Object.values(PATCHED))('when $pkg is installed, then it is the release line its patch was written for ($writtenFor)', (p) => {
    // Fails after a dependency update: re-read the patched internals, then move `writtenFor` in src/patches/third-party.ts.
    expect(checkVersion(p, installedVersion(p.pkg))).toEqual({ ok: true });
  });

  test('when the installed version is another minor or major, then the guard refuses and names the package and both versions', () => {
    const p = PATCHED['path-to-regexp'];
    expect(checkVersion(p, '8.4.9')).toEqual({ ok: true });
    for (const v of ['8.5.0', '9.0.0', '7.4.2']) {
      const r = checkVersion(p, v);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(`path-to-regexp ${v} is installed`);
      if (!r.ok) expect(r.reason).toContain('8.4.x');
    }
  });

  test('when docker-modem is not the version written for, then wrapping dial fails loudly and leaves dial untouched', () => {
    const dial: Dial = () => undefined;
    const docker = { modem: { dial } };
    expect(() => wrapModemDial(docker, (d) => d, mismatch)).toThrow(/refusing to start/);
    expect(docker.modem.dial).toBe(dial);
  });

  test('when docker-modem is the version written for, then every dial passes the wrapper', () => {
    const seen: string[] = [];
    const docker = { modem: { dial: ((o, cb) => cb(null, o.path)) as Dial } };
    wrapModemDial(docker, (d) => (o, cb) => {
      seen.push(o.method);
      return d(o, cb);
    });
    let answer: unknown;
    docker.modem.dial({ path: '/_ping', method: 'GET' }, (_e, data) => (answer = data));
    expect(seen).toEqual(['GET']);
    expect(answer).toBe('/_ping');
  });

  test('when ws is not the version written for, then sends are not counted and send is left as it was (with a warning)', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const send = jest.fn();
    const socket = { send };
    let counted = 0;
    expect(countSends(socket, () => counted++, mismatch)).toBe(false);
    socket.send();
    expect(socket.send).toBe(send);
    expect(counted).toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('not counted'), expect.objectContaining({ code: 'DOCKHAND_PATCH_SKIPPED' }));
    warn.mockRestore();
  });

  test('when ws is the version written for, then each send is counted and still sent', () => {
    const send = jest.fn();
    const socket = { send };
    let counted = 0;
    expect(countSends(socket, () => counted++)).toBe(true);
    socket.send();
    socket.send();
    expect(counted).toBe(2);
    expect(send).toHaveBeenCalledTimes(2);
  });

  test('when path-to-regexp is not the version written for, then the memo is not installed (with a warning)', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(memoizeRouteRegexps(mismatch).installed).toBe(false);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('compiled on every request'),
      expect.objectContaining({ code: 'DOCKHAND_PATCH_SKIPPED' }),
    );
    warn.mockRestore();
  });
});
