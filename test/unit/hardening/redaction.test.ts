import {
  commandFingerprint,
  redactCommand,
  redactCommandLine,
  redactEnv,
  redactEventAction,
  redactEventAttributes,
  redactLabels,
  viewOnce,
} from '../../../src/domain/auth/redaction';
import { StreamBudget } from '../../../src/domain/limits/stream-budget';

describe('the redaction policy', () => {
  test.each([
    [['sh', '-c', 'mysql -psecret'], null, { entrypoint: ['sh', '***'], cmd: null }],
    [null, ['mysql', '-psecret'], { entrypoint: null, cmd: ['mysql', '***'] }],
    [['docker-entrypoint.sh'], ['--password=secret'], { entrypoint: ['docker-entrypoint.sh'], cmd: ['***'] }],
    [[], ['sleep'], { entrypoint: [], cmd: ['sleep'] }],
  ])('when entrypoint %j and cmd %j, then %j', (entrypoint, cmd, expected) => {
    expect(redactCommand(entrypoint, cmd)).toEqual(expected);
  });

  test('when command lines, env, labels and event parts are redacted, then only their shape is left', () => {
    expect(redactCommandLine("sh -c 'mysql -psecret'")).toBe('sh ***');
    expect(redactCommandLine('nginx')).toBe('nginx');
    expect(redactEnv(['A=1', 'B=x=y', 'NOVALUE'])).toEqual(['A=***', 'B=***', 'NOVALUE']);
    expect(redactLabels({ 'db.pw': 's', 'org.opencontainers.image.version': '1.2', 'com.docker.compose.project': 'p' })).toEqual({
      'db.pw': '***',
      'org.opencontainers.image.version': '1.2',
      'com.docker.compose.project': 'p',
    });
    expect(redactEventAction('exec_create: sh -c mysql -psecret')).toBe('exec_create: sh ***');
    expect(redactEventAction('exec_start: /bin/sh -c curl -f http://x')).toBe('exec_start: /bin/sh ***');
    expect(redactEventAction('health_status: healthy')).toBe('health_status: healthy');
    expect(redactEventAttributes({ image: 'busybox', name: 'web', execID: 'e', 'db.pw': 's' })).toEqual({
      image: 'busybox',
      name: 'web',
      execID: 'e',
      'db.pw': '***',
    });
  });

  test('when a command is fingerprinted for the audit log, then the program and the count show, the arguments do not', () => {
    const f = commandFingerprint(['mysql', '-psecret']);
    expect(f).toMatchObject({ program: 'mysql', args: 1 });
    expect(JSON.stringify(f)).not.toContain('secret');
  });

  test('when a frozen answer is redacted twice, then the same frozen view is returned', () => {
    const view = viewOnce<{ env: string[] }>((v) => ({ env: redactEnv(v.env) }));
    const held = Object.freeze({ env: ['A=1'] });
    expect(view(held)).toBe(view(held));
    expect(Object.isFrozen(view(held))).toBe(true);
  });
});

describe('StreamBudget', () => {
  test('when a token holds its cap, then it is refused and another token is not; a release frees exactly one place, once', () => {
    const b = new StreamBudget(2, 3);
    const r1 = b.acquire('a');
    b.acquire('a');
    expect(() => b.acquire('a')).toThrow(expect.objectContaining({ code: 'rate_limited' }));
    b.acquire('b');
    expect(() => b.acquire('c')).toThrow(expect.objectContaining({ code: 'rate_limited' }));
    r1();
    r1();
    expect(b.inUse).toBe(2);
    b.acquire('c');
    expect(() => b.acquire('c')).toThrow(expect.objectContaining({ code: 'rate_limited' }));
  });
});
