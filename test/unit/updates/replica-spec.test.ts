import type Docker from 'dockerode';
import { toReplicaSpec } from '../../../src/engine/replica-spec';

const image = {
  Config: {
    Env: ['PATH=/bin', 'WEB_VERSION=1.39'],
    Labels: { 'org.example.version': '1.39' },
    Cmd: null,
    Entrypoint: ['/bin/httpd', '-f', '-p', '80', '-h', '/www'],
    WorkingDir: '',
  },
} as unknown as Docker.ImageInspectInfo;

const container = (over: { Config?: object; HostConfig?: object; Mounts?: object[] } = {}) =>
  ({
    Id: 'abc',
    Name: '/web',
    Image: 'sha256:old',
    Config: {
      Image: '127.0.0.1:5000/team/web:1',
      Env: ['PATH=/bin', 'WEB_VERSION=1.39', 'GREETING=hello'],
      Labels: { 'org.example.version': '1.39', tier: 'web' },
      Cmd: null,
      Entrypoint: ['/bin/httpd', '-f', '-p', '80', '-h', '/www'],
      WorkingDir: '',
      Tty: false,
      OpenStdin: false,
      ...over.Config,
    },
    HostConfig: {
      PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      NetworkMode: 'bridge',
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: 512,
      Memory: 64 * 1024 * 1024,
      NanoCpus: 500_000_000,
      ...over.HostConfig,
    },
    Mounts: over.Mounts ?? [
      { Type: 'volume', Name: 'data', Source: '/var/lib/docker/volumes/data/_data', Destination: '/data', RW: true },
      { Type: 'bind', Source: '/srv/conf', Destination: '/conf', RW: false },
    ],
  }) as unknown as Docker.ContainerInspectInfo;

describe('toReplicaSpec', () => {
  test('when a container is read back, then what it was created with is kept and what its old image gave it is left out', () => {
    const spec = toReplicaSpec(container(), image);
    expect(spec).toEqual({
      image: '127.0.0.1:5000/team/web:1',
      env: ['GREETING=hello'],
      labels: { tier: 'web' },
      ports: [
        { containerPort: 80, protocol: 'tcp', hostPort: 8080 },
        { containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1' },
      ],
      restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
      volumes: [{ name: 'data', target: '/data', readOnly: false }],
      binds: [{ source: '/srv/conf', target: '/conf', readOnly: true }],
      memory: 64 * 1024 * 1024,
      nanoCpus: 500_000_000,
      tty: false,
      openStdin: false,
      noNewPrivileges: true,
      pidsLimit: 512,
    });
  });

  test('when the container overrode the command, a label value or the network, then those are kept', () => {
    const spec = toReplicaSpec(
      container({ Config: { Cmd: ['sleep', '60'], Labels: { 'org.example.version': 'pinned' } }, HostConfig: { NetworkMode: 'backend' } }),
      image,
    );
    expect(spec).toMatchObject({ cmd: ['sleep', '60'], labels: { 'org.example.version': 'pinned' }, network: 'backend' });
    expect(spec.entrypoint).toBeUndefined();
  });

  test('when the old image is gone, then everything the container had is kept', () => {
    const spec = toReplicaSpec(container(), undefined);
    expect(spec.env).toEqual(['PATH=/bin', 'WEB_VERSION=1.39', 'GREETING=hello']);
    expect(spec.entrypoint).toEqual(['/bin/httpd', '-f', '-p', '80', '-h', '/www']);
  });
});
