import { DEFAULT_CREATE_POLICY, planCreate, type CreatePolicy } from '../../../src/domain/containers/create-policy';
import { isDomainError } from '../../../src/domain/errors';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return isDomainError(e) ? e.code : 'not-a-domain-error';
  }
  return undefined;
};

describe('planCreate', () => {
  test('when a full request is planned, then every field lands in the spec and the image is normalized', () => {
    const plan = planCreate(
      {
        image: '127.0.0.1:5055/seed/web:1.43',
        name: 'web1',
        cmd: ['a'],
        entrypoint: ['sh', '-c'],
        env: { A: '1', B_C: 'x=y' },
        workingDir: '/srv/./app',
        labels: { 'dockhand.test': 'containers' },
        ports: [
          { containerPort: 80, hostPort: 8080 },
          { containerPort: 53, protocol: 'udp' },
        ],
        restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
        volumes: [{ name: 'data', target: '/data', readOnly: true }],
        network: 'mynet',
        memory: 64 * 1024 * 1024,
        cpus: 0.5,
        tty: true,
        openStdin: true,
      },
      DEFAULT_CREATE_POLICY,
    );
    expect(plan.spec).toEqual({
      image: '127.0.0.1:5055/seed/web:1.43',
      name: 'web1',
      cmd: ['a'],
      entrypoint: ['sh', '-c'],
      env: ['A=1', 'B_C=x=y'],
      workingDir: '/srv/app',
      labels: { 'dockhand.test': 'containers' },
      ports: [
        { containerPort: 80, protocol: 'tcp', hostPort: 8080 },
        { containerPort: 53, protocol: 'udp' },
      ],
      restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
      volumes: [{ name: 'data', target: '/data', readOnly: true }],
      binds: [],
      network: 'mynet',
      memory: 64 * 1024 * 1024,
      nanoCpus: 500_000_000,
      tty: true,
      openStdin: true,
      noNewPrivileges: true,
      pidsLimit: 512,
    });
    expect(plan).toMatchObject({ pull: 'missing', start: true, pullReference: '127.0.0.1:5055/seed/web:1.43' });
  });

  test('when the image has no tag, then latest is meant and pulled', () => {
    expect(planCreate({ image: 'busybox' }).pullReference).toBe('busybox:latest');
  });

  test('when the image is named by id, then there is nothing to pull', () => {
    const plan = planCreate({ image: 'sha256:' + 'a'.repeat(64), pull: 'always' });
    expect(plan.pullReference).toBeUndefined();
  });

  test('when fields that are not in the schema are sent, then they never reach the spec', () => {
    const plan = planCreate({ image: 'busybox', privileged: true, HostConfig: { Privileged: true } } as never);
    expect(JSON.stringify(plan.spec)).not.toMatch(/rivileged|HostConfig/);
  });

  test.each([
    ['network host', { network: 'host' }, 'policy_denied'],
    ['network container:x', { network: 'container:abc' }, 'policy_denied'],
    ['a bind with no allowlist', { binds: [{ source: '/etc', target: '/x' }] }, 'policy_denied'],
    ['a relative workingDir', { workingDir: 'srv' }, 'invalid_request'],
    ['a volume target with ..', { volumes: [{ name: 'v1', target: '/a/../etc' }] }, 'invalid_request'],
    ['a volume named like a path', { volumes: [{ name: '/etc', target: '/x' }] }, 'invalid_request'],
    [
      'two mounts on one target',
      {
        volumes: [
          { name: 'v1', target: '/x' },
          { name: 'v2', target: '/x/' },
        ],
      },
      'invalid_request',
    ],
    ['a bad env name', { env: { 'A=B': '1' } }, 'invalid_request'],
    ['a retry count without on-failure', { restartPolicy: { name: 'always', maximumRetryCount: 2 } }, 'invalid_request'],
    ['a bad container name', { name: 'a/../b' }, 'invalid_identifier'],
    ['a bad image', { image: 'web:bad tag' }, 'invalid_reference'],
  ])('when the request has %s, then it is refused', (_what, extra, code) => {
    expect(codeOf(() => planCreate({ image: 'busybox', ...(extra as object) }))).toBe(code);
  });

  test('when a bind source is under an allowed path, then it is accepted; next to it, refused', () => {
    const allowed: CreatePolicy = { ...DEFAULT_CREATE_POLICY, bindRoots: [{ path: '/srv/data', writable: true }] };
    expect(planCreate({ image: 'busybox', binds: [{ source: '/srv/data/app', target: '/d' }] }, allowed).spec.binds).toEqual([
      { source: '/srv/data/app', target: '/d', readOnly: false },
    ]);
    expect(codeOf(() => planCreate({ image: 'busybox', binds: [{ source: '/srv/data2', target: '/d' }] }, allowed))).toBe('policy_denied');
    expect(codeOf(() => planCreate({ image: 'busybox', binds: [{ source: '/srv/data/../../etc', target: '/d' }] }, allowed))).toBe('invalid_request');
  });

  test('when a bind root is not marked writable, then its binds are read-only whatever the request says; the most specific root decides', () => {
    const policy: CreatePolicy = {
      ...DEFAULT_CREATE_POLICY,
      bindRoots: [
        { path: '/srv/data', writable: true },
        { path: '/srv/data/ro', writable: false },
        { path: '/srv/conf', writable: false },
      ],
    };
    const binds = (source: string, readOnly?: boolean) =>
      planCreate({ image: 'busybox', binds: [{ source, target: '/d', readOnly }] }, policy).spec.binds[0].readOnly;
    expect([binds('/srv/conf/a', false), binds('/srv/data/ro/x', false), binds('/srv/data/x', false), binds('/srv/data/x', true)]).toEqual([
      true,
      true,
      false,
      true,
    ]);
  });

  test.each([
    ['a host port below the minimum', { ports: [{ containerPort: 80, hostPort: 80 }] }],
    ['a host port of 1023', { ports: [{ containerPort: 80, hostPort: 1023 }] }],
    ['a host address not allowed', { ports: [{ containerPort: 80, hostPort: 8080, hostIp: '10.0.0.1' }] }],
    ['an IPv6 host address not allowed', { ports: [{ containerPort: 80, hostIp: '::' }] }],
  ])('when the request has %s, then the create policy denies it', (_what, extra) => {
    expect(codeOf(() => planCreate({ image: 'busybox', ...(extra as object) }))).toBe('policy_denied');
  });

  test('when the operator lowers the minimum host port and allows only loopback, then port 80 on 127.0.0.1 passes and 0.0.0.0 does not', () => {
    const policy: CreatePolicy = { ...DEFAULT_CREATE_POLICY, minHostPort: 1, allowedHostIps: ['127.0.0.1'], noNewPrivileges: false, pidsLimit: 0 };
    const plan = planCreate({ image: 'busybox', ports: [{ containerPort: 80, hostPort: 80, hostIp: '127.0.0.1' }] }, policy);
    expect(plan.spec).toMatchObject({ ports: [{ containerPort: 80, hostPort: 80, hostIp: '127.0.0.1' }], noNewPrivileges: false });
    expect(plan.spec.pidsLimit).toBeUndefined();
    expect(codeOf(() => planCreate({ image: 'busybox', ports: [{ containerPort: 80, hostPort: 8080 }] }, policy))).toBe('policy_denied');
  });
});
