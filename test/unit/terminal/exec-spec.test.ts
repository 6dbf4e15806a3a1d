import { parseExecId, parseTerminalSize, toExecSpec } from '../../../src/domain/terminal/exec-spec';
import { toExecCreateBody } from '../../../src/engine/docker-terminal';

describe('exec ids', () => {
  test.each([
    ['a'.repeat(64), true],
    ['0123456789abcdef'.repeat(4), true],
    ['A'.repeat(64), false],
    ['a'.repeat(63), false],
    ['a'.repeat(65), false],
    [`${'a'.repeat(60)}/../`, false],
    ['../containers/json', false],
    ['', false],
  ])('when the id is %s, then valid=%s (checked before any engine URL is built)', (id, ok) => {
    if (ok) expect(parseExecId(id)).toBe(id);
    else expect(() => parseExecId(id)).toThrow(expect.objectContaining({ code: 'invalid_identifier' }));
  });
});

describe('exec spec', () => {
  test('when every field is given, then the engine body has exactly those fields, env as NAME=value', () => {
    const spec = toExecSpec({ cmd: ['sh', '-c', 'echo hi'], tty: true, env: { A: '1', B_2: 'x=y' }, workingDir: '/srv', user: '1000:1000' }, true);
    expect(toExecCreateBody(spec)).toEqual({
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      Cmd: ['sh', '-c', 'echo hi'],
      Env: ['A=1', 'B_2=x=y'],
      WorkingDir: '/srv',
      User: '1000:1000',
    });
  });

  test('when a request carries fields of its own, then none of them reaches the engine body', () => {
    const req = { cmd: ['true'], Privileged: true, privileged: true, HostConfig: {} } as unknown as Parameters<typeof toExecSpec>[0];
    expect(Object.keys(toExecCreateBody(toExecSpec(req, false))).sort()).toEqual([
      'AttachStderr',
      'AttachStdin',
      'AttachStdout',
      'Cmd',
      'Env',
      'Tty',
    ]);
  });

  test.each([
    ['no cmd', { cmd: [] }],
    ['an empty program', { cmd: [''] }],
    ['a NUL in an argument', { cmd: ['sh', 'a\0b'] }],
    ['65 arguments', { cmd: Array.from({ length: 65 }, () => 'x') }],
    ['an env name with =', { cmd: ['sh'], env: { 'A=B': '1' } }],
    ['an env name starting with a digit', { cmd: ['sh'], env: { '1A': '1' } }],
    ['a relative workingDir', { cmd: ['sh'], workingDir: 'srv' }],
    ['a user with a slash', { cmd: ['sh'], user: 'root/x' }],
  ])('when the request has %s, then invalid_request', (_what, req) => {
    expect(() => toExecSpec(req as Parameters<typeof toExecSpec>[0], true)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  test('when a terminal size is out of 1..1000, then invalid_request', () => {
    expect(parseTerminalSize(80, 24)).toEqual({ cols: 80, rows: 24 });
    expect(() => parseTerminalSize(0, 24)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => parseTerminalSize(80, 1001)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});
