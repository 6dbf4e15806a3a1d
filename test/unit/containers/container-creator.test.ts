import { ContainerCreator } from '../../../src/domain/containers/container-creator';
import type { ContainerDetails, ContainerRepository } from '../../../src/domain/containers/container';
import { DomainError, isDomainError } from '../../../src/domain/errors';
import type { ImagePuller } from '../../../src/domain/images/image-puller';
import { DEFAULT_CREATE_POLICY } from '../../../src/domain/containers/create-policy';
import { RegistryAllowlist } from '../../../src/domain/registries/registry';

const admin = { name: 'alice', role: 'admin' as const };

/** A repository fake that records calls; each test scripts the parts it needs. */
function fakeRepo(over: Partial<ContainerRepository> = {}) {
  const calls: string[] = [];
  const rec =
    <T>(name: string, v: T) =>
    async () => {
      calls.push(name);
      return v;
    };
  const repo = {
    imageExists: jest.fn(async () => (calls.push('imageExists'), true)),
    hostPortsTaken: jest.fn(rec('hostPortsTaken', [] as { hostPort: number; protocol: string }[])),
    create: jest.fn(rec('create', 'c1')),
    start: jest.fn(rec('start', { changed: true })),
    remove: jest.fn(rec('remove', undefined)),
    inspect: jest.fn(rec('inspect', { id: 'c1' } as ContainerDetails)),
    ...over,
  } as unknown as ContainerRepository;
  return { repo, calls };
}

const puller = (): ImagePuller & { pullAndWait: jest.Mock } => ({ pullAndWait: jest.fn(async () => ({ jobId: 'j1' })) });
const creator = (repo: ContainerRepository, p: ImagePuller = puller()) =>
  new ContainerCreator(repo, p, {
    policy: DEFAULT_CREATE_POLICY,
    allowlist: new RegistryAllowlist(['docker.io', 'reg:5000']),
    hostPaths: { realpath: async (p) => p },
    idempotency: { ttlMs: 1000, maxEntries: 10 },
  });

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return isDomainError(e) ? e.code : 'other';
  }
  return undefined;
};

describe('ContainerCreator', () => {
  test('when the start fails and a requested host port turns out taken, then the container is removed and port_conflict', async () => {
    const { repo, calls } = fakeRepo();
    let checks = 0;
    (repo.hostPortsTaken as jest.Mock).mockImplementation(async () => (checks++ === 0 ? [] : [{ hostPort: 8080, protocol: 'tcp' }]));
    (repo.start as jest.Mock).mockRejectedValue(new DomainError('engine_error', 'engine answered 500'));
    expect(await codeOf(creator(repo).create({ image: 'busybox', ports: [{ containerPort: 80, hostPort: 8080 }] }, admin))).toBe('port_conflict');
    expect(calls).toEqual(['imageExists', 'create', 'remove']);
    expect(repo.remove).toHaveBeenCalledWith('c1', { force: true, volumes: true });
  });

  test('when the start fails for another reason, then the container is removed and the engine error surfaces', async () => {
    const { repo } = fakeRepo();
    (repo.start as jest.Mock).mockRejectedValue(new DomainError('engine_error', 'exec format error'));
    expect(await codeOf(creator(repo).create({ image: 'busybox' }, admin))).toBe('engine_error');
    expect(repo.remove).toHaveBeenCalled();
  });

  test('when a host port is known taken before create, then nothing is created', async () => {
    const { repo } = fakeRepo({ hostPortsTaken: jest.fn(async () => [{ hostPort: 8080, protocol: 'tcp' }]) });
    expect(await codeOf(creator(repo).create({ image: 'busybox', ports: [{ containerPort: 80, hostPort: 8080 }] }, admin))).toBe('port_conflict');
    expect(repo.create).not.toHaveBeenCalled();
  });

  test.each([
    ['missing', true, 0],
    ['missing', false, 1],
    ['always', true, 1],
  ] as const)('when pull is %s and the image present=%s, then it pulls %i time(s)', async (pull, present, pulls) => {
    const { repo } = fakeRepo({ imageExists: jest.fn(async () => present) });
    const p = puller();
    await creator(repo, p).create({ image: 'reg:5000/app:1', pull }, admin);
    expect(p.pullAndWait).toHaveBeenCalledTimes(pulls);
    if (pulls) expect(p.pullAndWait).toHaveBeenCalledWith('reg:5000/app:1', { createdBy: 'alice' });
  });

  test('when pull is never and the image is absent, then image_not_found and nothing is created', async () => {
    const { repo } = fakeRepo({ imageExists: jest.fn(async () => false) });
    const p = puller();
    expect(await codeOf(creator(repo, p).create({ image: 'app:1', pull: 'never' }, admin))).toBe('image_not_found');
    expect(p.pullAndWait).not.toHaveBeenCalled();
    expect(repo.create).not.toHaveBeenCalled();
  });

  test('when start is false, then the container is created but neither port-checked nor started', async () => {
    const { repo, calls } = fakeRepo();
    await creator(repo).create({ image: 'busybox', start: false, ports: [{ containerPort: 80, hostPort: 8080 }] }, admin);
    expect(calls).toEqual(['imageExists', 'create', 'inspect']);
  });

  test('when a policy refuses the request, then the repository is never called', async () => {
    const { repo, calls } = fakeRepo();
    expect(await codeOf(creator(repo).create({ image: 'busybox', network: 'host' }, admin))).toBe('policy_denied');
    expect(calls).toEqual([]);
  });
});
