import { resolveBinds, type HostPaths } from '../containers/bind-paths';
import { containerPath, rootOf, type BindRoot } from '../containers/create-policy';
import { DomainError } from '../errors';
import { checkUuid } from '../ids';
import { resolveReference } from '../images/reference';
import { normalizeHost, type RegistryAllowlist, type RegistryCredentials, type RegistryStore } from '../registries/registry';
import { ManifestLookupError, type ManifestSource } from '../updates/image-update';
import type { Principal } from '../auth/tokens';
import { fingerprint, IdempotencyStore, type IdempotencyOptions } from '../containers/idempotency-store';
import type { SwarmService } from './swarm-service';
import type { ServiceCreateSpec, ServicePort, ServiceSummary, ServiceUpdatePolicy, SwarmEngine } from './swarm';

/** The body of `POST …/swarm/services` as the contract lets it through (every field named there, nothing else). */
export interface CreateServiceRequest {
  name: string;
  image: string;
  /** A stored registry login for the image's registry; absent: the login stored for that registry, if any. */
  registry?: string;
  mode?: 'replicated' | 'global';
  replicas?: number;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
  ports?: { target: number; published?: number; protocol?: 'tcp' | 'udp'; mode?: 'ingress' | 'host' }[];
  networks?: string[];
  mounts?: { type: 'bind' | 'volume'; source: string; target: string; readOnly?: boolean }[];
  resources?: ServiceCreateSpec['resources'] extends infer R ? R : never;
  constraints?: string[];
  updateConfig?: ServiceUpdatePolicy;
  rollbackConfig?: ServiceUpdatePolicy;
  stopGracePeriodMs?: number;
}

const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/;
const NETWORK = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const VOLUME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** Networks that are not a swarm's own: the host's stack (never from this API) and the local bridges. */
const FORBIDDEN_NETWORKS = new Set(['host', 'bridge', 'none', 'docker_gwbridge']);

const bad = (message: string) => new DomainError('invalid_request', message);

/**
 * A create request turned into the spec the engine gets, field by field: nothing the body carries reaches the
 * engine unless it is named here. No capabilities, no privileged mode, no host network. Bind mounts only under
 * ALLOWED_BIND_PATHS (checked again on their real paths by resolveBinds). The image is pinned by the caller.
 */
export function planServiceCreate(req: CreateServiceRequest, bindRoots: readonly BindRoot[]): Omit<ServiceCreateSpec, 'image'> {
  if (!SERVICE_NAME.test(req.name)) throw bad(`service name "${req.name.slice(0, 64)}" must be 1-63 of [a-zA-Z0-9_-], not starting with - or _`);
  const mode = req.mode ?? 'replicated';
  if (mode === 'global' && req.replicas !== undefined) throw bad('a global service runs one task per node: replicas is for replicated services');
  const ports: ServicePort[] = [];
  const published = new Set<string>();
  for (const p of req.ports ?? []) {
    const protocol = p.protocol ?? 'tcp';
    if (p.published !== undefined) {
      const key = `${p.published}/${protocol}`;
      if (published.has(key)) throw bad(`port ${key} is published twice`);
      published.add(key);
    }
    ports.push({ target: p.target, ...(p.published !== undefined ? { published: p.published } : {}), protocol, mode: p.mode ?? 'ingress' });
  }
  for (const n of req.networks ?? []) {
    if (FORBIDDEN_NETWORKS.has(n)) throw new DomainError('policy_denied', `network "${n}" is not a swarm network and is not allowed for a service`);
    if (!NETWORK.test(n)) throw bad(`network "${n.slice(0, 64)}" is not a network name`);
  }
  const targets = new Set<string>();
  const mounts: ServiceCreateSpec['mounts'] = [];
  for (const m of req.mounts ?? []) {
    const target = containerPath(m.target, 'mounts.target');
    if (target === '/') throw bad('mounts.target cannot be /');
    if (targets.has(target)) throw bad(`mounts.target ${target} is mounted twice`);
    targets.add(target);
    if (m.type === 'volume') {
      if (!VOLUME.test(m.source)) throw bad(`volume name "${m.source.slice(0, 64)}" is not a named volume`);
      mounts.push({ type: 'volume', source: m.source, target, readOnly: m.readOnly === true });
      continue;
    }
    const source = containerPath(m.source, 'mounts.source');
    const root = rootOf(source, bindRoots);
    if (!root) {
      const allowed = bindRoots.length ? bindRoots.map((r) => r.path).join(', ') : 'none';
      throw new DomainError('policy_denied', `bind mounts from ${source} are not allowed (allowed: ${allowed})`);
    }
    mounts.push({ type: 'bind', source, target, readOnly: !root.writable || m.readOnly === true });
  }
  for (const k of Object.keys(req.env ?? {})) if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k)) throw bad(`env name "${k.slice(0, 64)}" is not valid`);
  return {
    name: req.name,
    mode,
    ...(mode === 'replicated' ? { replicas: req.replicas ?? 1 } : {}),
    ...(req.command ? { command: req.command } : {}),
    ...(req.args ? { args: req.args } : {}),
    env: req.env ?? {},
    labels: req.labels ?? {},
    ports,
    networks: req.networks ?? [],
    mounts,
    ...(req.resources ? { resources: req.resources } : {}),
    constraints: req.constraints ?? [],
    ...(req.updateConfig ? { updateConfig: req.updateConfig } : {}),
    ...(req.rollbackConfig ? { rollbackConfig: req.rollbackConfig } : {}),
    ...(req.stopGracePeriodMs !== undefined ? { stopGracePeriodMs: req.stopGracePeriodMs } : {}),
  };
}

/** Bind sources checked again where they really lead (symlinks resolved), as a container create's. */
export async function resolveServiceBinds(
  mounts: ServiceCreateSpec['mounts'],
  roots: readonly BindRoot[],
  paths: HostPaths,
): Promise<ServiceCreateSpec['mounts']> {
  const binds = mounts.filter((m) => m.type === 'bind');
  const real = await resolveBinds(
    binds.map((b) => ({ source: b.source, target: b.target, readOnly: b.readOnly })),
    roots,
    paths,
  );
  let i = 0;
  return mounts.map((m) => (m.type === 'bind' ? { type: 'bind' as const, ...real[i++] } : m));
}

/** An image reference pinned to the digest its tag points at now, with the login its registry needs. */
export interface PinnedImage {
  image: string;
  registry: string;
  credentials?: RegistryCredentials;
}

/**
 * Pins a reference to a digest before a create or an update, so every node runs the very same image: the same
 * reference and allowlist checks as a pull, the digest asked of the registry through the engine (distribution
 * inspect), with the stored login for that registry.
 */
export class ImagePinner {
  constructor(
    private readonly distribution: ManifestSource,
    private readonly allowlist: RegistryAllowlist,
    private readonly store: RegistryStore,
  ) {}

  async pin(input: string, registryId?: string): Promise<PinnedImage> {
    const ref = resolveReference(input);
    this.allowlist.check(ref.registry);
    const credentials = await this.credentials(ref.registry, registryId);
    if (ref.reference.digest) return { image: ref.full, registry: ref.registry, credentials };
    const tag = ref.reference.tag ?? 'latest';
    const controller = new AbortController();
    try {
      const remote = await this.distribution.digestOf(
        { registry: ref.registry, repository: ref.reference.repository, tag },
        credentials,
        controller.signal,
      );
      return { image: `${ref.name}:${tag}@${remote.digest}`, registry: ref.registry, credentials };
    } catch (err) {
      if (!(err instanceof ManifestLookupError)) throw err;
      if (err.reason === 'not_found') throw new DomainError('image_not_found', `${ref.full} is not in its registry`, { image: ref.full });
      if (err.reason === 'unauthorized') {
        throw new DomainError(
          credentials ? 'registry_auth_failed' : 'image_not_found',
          `the registry refused ${ref.full}${credentials ? ' with the stored login' : ' (no stored login for it, or it does not exist)'}`,
          { image: ref.full },
        );
      }
      throw new DomainError('registry_unreachable', err.message);
    } finally {
      controller.abort();
    }
  }

  private async credentials(registry: string, registryId: string | undefined): Promise<RegistryCredentials | undefined> {
    if (registryId !== undefined) {
      const creds = await this.store.credentials(checkUuid(registryId, 'registry'));
      if (!creds) throw new DomainError('registry_not_found', `no stored registry ${registryId}`);
      if (normalizeHost(creds.serverAddress) !== normalizeHost(registry)) {
        throw new DomainError('invalid_request', `the stored registry is for "${creds.serverAddress}", but the image is on "${registry}"`);
      }
      return creds;
    }
    const stored = (await this.store.list()).find((r) => normalizeHost(r.serverAddress) === normalizeHost(registry));
    return stored ? this.store.credentials(stored.id) : undefined;
  }
}

export interface ServiceCreatorOptions {
  bindRoots: readonly BindRoot[];
  hostPaths: HostPaths;
  idempotency: IdempotencyOptions;
}

/**
 * `docker service create` for the API: the allowlisted body planned, bind sources resolved, the image pinned to a
 * digest (with the stored login, which also goes to the nodes for their pulls), then one engine call. An
 * Idempotency-Key makes a retried create answer the first answer instead of a name conflict.
 */
export class ServiceCreator {
  private readonly idempotency: IdempotencyStore<ServiceSummary>;

  constructor(
    private readonly swarm: SwarmService,
    private readonly engine: SwarmEngine,
    private readonly pinner: ImagePinner,
    private readonly opts: ServiceCreatorOptions,
  ) {
    this.idempotency = new IdempotencyStore(opts.idempotency);
  }

  async create(req: CreateServiceRequest, by: Principal, idempotencyKey?: string): Promise<{ service: ServiceSummary; replayed: boolean }> {
    if (idempotencyKey === undefined) return { service: await this.createOnce(req), replayed: false };
    const { value, replayed } = await this.idempotency.run(by.name, idempotencyKey, fingerprint(req), () => this.createOnce(req));
    return { service: value, replayed };
  }

  private async createOnce(req: CreateServiceRequest): Promise<ServiceSummary> {
    // Everything that can refuse the request runs before the first engine write.
    const plan = planServiceCreate(req, this.opts.bindRoots);
    const mounts = await resolveServiceBinds(plan.mounts, this.opts.bindRoots, this.opts.hostPaths);
    await this.swarm.requireManager();
    const pinned = await this.pinner.pin(req.image, req.registry);
    const id = await this.engine.createService({ ...plan, mounts, image: pinned.image }, pinned.credentials);
    return this.swarm.inspectService(id);
  }
}
