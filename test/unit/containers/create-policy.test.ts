import { planCreate } from '../../../src/domain/containers/create-policy';
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
        ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, protocol: 'udp' }],
        restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
        volumes: [{ name: 'data', target: '/data', readOnly: true }],
        network: 'mynet',
        memory: 64 * 1024 * 1024,
        cpus: 0.5,
        tty: true,
        openStdin: true,
      },
      [],
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
    });
    expect(plan).toMatchObject({ pull: 'missing', start: true, pullReference: '127.0.0.1:5055/seed/web:1.43' });
  });

  test('when the image has no tag, then latest is meant and pulled', () => {
    expect(planCreate({ image: 'busybox' }, []).pullReference).toBe('busybox:latest');
  });

  test('when the image is named by id, then there is nothing to pull', () => {
    const plan = planCreate({ image: 'sha256:' + 'a'.repeat(64), pull: 'always' }, []);
    expect(plan.pullReference).toBeUndefined();
  });

  test('when fields that are not in the schema are sent, then they never reach the spec', () => {
    const plan = planCreate({ image: 'busybox', privileged: true, HostConfig: { Privileged: true } } as never, []);
    expect(JSON.stringify(plan.spec)).not.toMatch(/rivileged|HostConfig/);
  });

  test.each([
    ['network host', { network: 'host' }, 'policy_denied'],
    ['network container:x', { network: 'container:abc' }, 'policy_denied'],
    ['a bind with no allowlist', { binds: [{ source: '/etc', target: '/x' }] }, 'policy_denied'],
    ['a relative workingDir', { workingDir: 'srv' }, 'invalid_request'],
    ['a volume target with ..', { volumes: [{ name: 'v1', target: '/a/../etc' }] }, 'invalid_request'],
    ['a volume named like a path', { volumes: [{ name: '/etc', target: '/x' }] }, 'invalid_request'],
    ['two mounts on one target', { volumes: [{ name: 'v1', target: '/x' }, { name: 'v2', target: '/x/' }] }, 'invalid_request'],
    ['a bad env name', { env: { 'A=B': '1' } }, 'invalid_request'],
    ['a retry count without on-failure', { restartPolicy: { name: 'always', maximumRetryCount: 2 } }, 'invalid_request'],
    ['a bad container name', { name: 'a/../b' }, 'invalid_identifier'],
    ['a bad image', { image: 'web:bad tag' }, 'invalid_reference'],
  ])('when the request has %s, then it is refused', (_what, extra, code) => {
    expect(codeOf(() => planCreate({ image: 'busybox', ...(extra as object) }, []))).toBe(code);
  });

  test('when a bind source is under an allowed path, then it is accepted; next to it, refused', () => {
    const allowed = ['/srv/data'];
    expect(planCreate({ image: 'busybox', binds: [{ source: '/srv/data/app', target: '/d' }] }, allowed).spec.binds).toEqual([
      { source: '/srv/data/app', target: '/d', readOnly: false },
    ]);
    expect(codeOf(() => planCreate({ image: 'busybox', binds: [{ source: '/srv/data2', target: '/d' }] }, allowed))).toBe('policy_denied');
    expect(codeOf(() => planCreate({ image: 'busybox', binds: [{ source: '/srv/data/../../etc', target: '/d' }] }, allowed))).toBe('invalid_request');
  });
});
