import type { Principal } from '../auth/tokens';
import { DomainError } from '../errors';
import type { ImagePuller } from '../images/image-puller';
import type { RegistryAllowlist } from '../registries/registry';
import { resolveBinds, type HostPaths } from './bind-paths';
import type { ContainerDetails, ContainerRepository } from './container';
import { planCreate, type CreateContainerRequest, type CreatePolicy } from './create-policy';
import { fingerprint, IdempotencyStore, type IdempotencyOptions } from './idempotency-store';

export interface CreatorOptions {
  policy: CreatePolicy;
  /** A create that may pull (`pull: missing|always`) names an allowed registry, checked before any engine call. */
  allowlist: RegistryAllowlist;
  hostPaths: HostPaths;
  idempotency: IdempotencyOptions;
}

export interface CreateResult {
  container: ContainerDetails;
  /** True when this is the stored answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/**
 * `docker run` for the API: policy check, image presence (pulling through a pull job), create, start; a
 * container that cannot start because of a host-port clash is removed again.
 */
export class ContainerCreator {
  private readonly idempotency: IdempotencyStore<ContainerDetails>;

  constructor(
    private readonly repo: ContainerRepository,
    private readonly puller: ImagePuller,
    private readonly opts: CreatorOptions,
  ) {
    this.idempotency = new IdempotencyStore(opts.idempotency);
  }

  async create(req: CreateContainerRequest, by: Principal, idempotencyKey?: string): Promise<CreateResult> {
    if (idempotencyKey === undefined) return { container: await this.createOnce(req, by), replayed: false };
    const { value, replayed } = await this.idempotency.run(by.name, idempotencyKey, fingerprint(req), () => this.createOnce(req, by));
    return { container: value, replayed };
  }

  private async createOnce(req: CreateContainerRequest, by: Principal): Promise<ContainerDetails> {
    // The whole policy runs before the first engine call: a refused request touches nothing.
    const plan = planCreate(req, this.opts.policy);
    if (plan.pull !== 'never' && plan.pullRegistry !== undefined) this.opts.allowlist.check(plan.pullRegistry);
    plan.spec.binds = await resolveBinds(plan.spec.binds, this.opts.policy.bindRoots, this.opts.hostPaths);
    await this.ensureImage(plan.spec.image, plan.pull, plan.pullReference, by);
    if (plan.start) await this.refuseTakenPorts(plan.spec.ports);
    const id = await this.repo.create(plan.spec);
    if (plan.start) {
      try {
        await this.repo.start(id);
      } catch (err) {
        await this.repo.remove(id, { force: true, volumes: true }).catch(() => undefined);
        // The engine reports a port clash only as a 500 with text; ask what is taken instead of parsing it.
        const taken = await this.repo.hostPortsTaken(plan.spec.ports).catch(() => []);
        if (taken.length > 0) throw portConflict(taken);
        throw err;
      }
    }
    return this.repo.inspect(id);
  }

  private async ensureImage(image: string, pull: 'missing' | 'always' | 'never', reference: string | undefined, by: Principal): Promise<void> {
    if (pull === 'always' && reference) {
      await this.puller.pullAndWait(reference, { createdBy: by.name });
      return;
    }
    if (await this.repo.imageExists(image)) return;
    if (pull === 'never' || !reference) {
      throw new DomainError('image_not_found', `image ${image} is not present${reference ? ' and pull is "never"' : ''}`, { image });
    }
    await this.puller.pullAndWait(reference, { createdBy: by.name });
  }

  private async refuseTakenPorts(ports: Parameters<ContainerRepository['hostPortsTaken']>[0]): Promise<void> {
    if (!ports.some((p) => p.hostPort !== undefined)) return;
    const taken = await this.repo.hostPortsTaken(ports);
    if (taken.length > 0) throw portConflict(taken);
  }
}

function portConflict(taken: { hostPort: number; protocol: string }[]): DomainError {
  const list = taken.map((t) => `${t.hostPort}/${t.protocol}`).join(', ');
  return new DomainError('port_conflict', `host port ${list} is already in use`, { ports: taken });
}
