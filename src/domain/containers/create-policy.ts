import path from 'node:path';
import { DomainError } from '../errors';
import { parseImageLookup } from '../images/reference';
import type { ContainerSpec, PortProtocol, RestartPolicy } from './container';
import { parseContainerName } from './container-ref';

export type PullPolicy = 'missing' | 'always' | 'never';

/** The create request as the API accepts it (openapi.yaml `ContainerCreateRequest`). */
export interface CreateContainerRequest {
  image: string;
  name?: string;
  cmd?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  labels?: Record<string, string>;
  ports?: { containerPort: number; hostPort?: number; protocol?: PortProtocol; hostIp?: string }[];
  restartPolicy?: RestartPolicy;
  volumes?: { name: string; target: string; readOnly?: boolean }[];
  binds?: { source: string; target: string; readOnly?: boolean }[];
  network?: string;
  memory?: number;
  cpus?: number;
  pull?: PullPolicy;
  start?: boolean;
  tty?: boolean;
  openStdin?: boolean;
}

/** A host directory admin-created containers may bind, and whether they may write to it (`/srv/data:rw`). */
export interface BindRoot {
  path: string;
  writable: boolean;
}

/** What an operator decides about every create (config, safe defaults; see README). */
export interface CreatePolicy {
  bindRoots: readonly BindRoot[];
  /** Sets the `no-new-privileges` security option: setuid binaries cannot raise privileges in the container. */
  noNewPrivileges: boolean;
  /** Maximum processes in the container; 0 leaves it unlimited. */
  pidsLimit: number;
  /** The lowest host port a published port may take (1024 keeps the privileged ports to the host). */
  minHostPort: number;
  /** Host addresses published ports may be bound to; `0.0.0.0` is what an omitted hostIp means. */
  allowedHostIps: readonly string[];
}

export const DEFAULT_CREATE_POLICY: CreatePolicy = {
  bindRoots: [],
  noNewPrivileges: true,
  pidsLimit: 512,
  minHostPort: 1024,
  allowedHostIps: ['0.0.0.0', '127.0.0.1'],
};

export interface CreatePlan {
  spec: ContainerSpec;
  pull: PullPolicy;
  start: boolean;
  /** The reference to pull, or undefined when the image was named by id (ids cannot be pulled). */
  pullReference?: string;
  /** The registry a pull of `pullReference` would contact (checked against ALLOWED_REGISTRIES before any engine call). */
  pullRegistry?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NETWORK = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const VOLUME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** Network modes that share a namespace with the host or another container: never from this API. */
const FORBIDDEN_NETWORKS = new Set(['host']);

const bad = (message: string) => new DomainError('invalid_request', message);

/** An absolute container path without `..`, normalized; `what` names the field in messages. */
export function containerPath(p: string, what: string): string {
  if (!p.startsWith('/') || p.split('/').includes('..') || p.includes('\0')) throw bad(`${what} must be an absolute path without ..`);
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** True when `p` is `root` or inside it (compared segment-wise, so /data2 is not under /data). */
export const isUnder = (p: string, root: string): boolean => {
  const r = root.endsWith('/') ? root.slice(0, -1) : root;
  return r === '' || p === r || p.startsWith(`${r}/`);
};

/** The most specific root `p` is under (so `/srv/data/ro` read-only inside a writable `/srv/data` wins). */
export const rootOf = (p: string, roots: readonly BindRoot[]): BindRoot | undefined =>
  roots.filter((r) => isUnder(p, r.path)).sort((a, b) => b.path.length - a.path.length)[0];

/**
 * The create policy: turns a request into a ContainerSpec field by field, so nothing the request carries can
 * reach the engine unless it is named here. Refusals happen before any engine call.
 */
export function planCreate(req: CreateContainerRequest, policy: CreatePolicy = DEFAULT_CREATE_POLICY): CreatePlan {
  const lookup = parseImageLookup(req.image);
  const spec: ContainerSpec = {
    image: lookup.engineName,
    env: [],
    labels: {},
    ports: [],
    volumes: [],
    binds: [],
    tty: req.tty === true,
    openStdin: req.openStdin === true,
    noNewPrivileges: policy.noNewPrivileges,
    ...(policy.pidsLimit > 0 ? { pidsLimit: policy.pidsLimit } : {}),
  };
  if (req.name !== undefined) spec.name = parseContainerName(req.name);
  if (req.cmd) spec.cmd = [...req.cmd];
  if (req.entrypoint) spec.entrypoint = [...req.entrypoint];
  for (const [k, v] of Object.entries(req.env ?? {})) {
    if (!ENV_NAME.test(k)) throw bad(`env name "${k.slice(0, 64)}" is not valid`);
    spec.env.push(`${k}=${String(v)}`);
  }
  if (req.workingDir !== undefined) spec.workingDir = containerPath(req.workingDir, 'workingDir');
  for (const [k, v] of Object.entries(req.labels ?? {})) spec.labels[k] = String(v);
  const seenPorts = new Set<string>();
  for (const p of req.ports ?? []) {
    const protocol = p.protocol ?? 'tcp';
    const key = `${p.containerPort}/${protocol}/${p.hostIp ?? ''}/${p.hostPort ?? ''}`;
    if (seenPorts.has(key)) throw bad(`port ${p.containerPort}/${protocol} is listed twice`);
    seenPorts.add(key);
    if (p.hostPort !== undefined && p.hostPort < policy.minHostPort) {
      throw new DomainError('policy_denied', `host port ${p.hostPort} is below ${policy.minHostPort} (CREATE_MIN_HOST_PORT)`, {
        hostPort: p.hostPort,
      });
    }
    if (!policy.allowedHostIps.includes(p.hostIp ?? '0.0.0.0')) {
      throw new DomainError(
        'policy_denied',
        `host address ${p.hostIp ?? '0.0.0.0 (all, the default)'} is not in CREATE_ALLOWED_HOST_IPS (${policy.allowedHostIps.join(', ')})`,
        {
          hostIp: p.hostIp ?? '0.0.0.0',
        },
      );
    }
    spec.ports.push({
      containerPort: p.containerPort,
      protocol,
      ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
      ...(p.hostIp !== undefined ? { hostIp: p.hostIp } : {}),
    });
  }
  if (req.restartPolicy) {
    const { name, maximumRetryCount } = req.restartPolicy;
    if (maximumRetryCount !== undefined && name !== 'on-failure') throw bad('restartPolicy.maximumRetryCount applies only to on-failure');
    spec.restartPolicy = { name, ...(maximumRetryCount !== undefined ? { maximumRetryCount } : {}) };
  }
  const targets = new Set<string>();
  const target = (t: string, what: string) => {
    const n = containerPath(t, what);
    if (n === '/') throw bad(`${what} cannot be /`);
    if (targets.has(n)) throw bad(`${what} ${n} is mounted twice`);
    targets.add(n);
    return n;
  };
  for (const v of req.volumes ?? []) {
    if (!VOLUME.test(v.name)) throw bad(`volume name "${v.name.slice(0, 64)}" is not a named volume`);
    spec.volumes.push({ name: v.name, target: target(v.target, 'volumes.target'), readOnly: v.readOnly === true });
  }
  for (const b of req.binds ?? []) {
    const source = containerPath(b.source, 'binds.source');
    const root = rootOf(source, policy.bindRoots);
    if (!root) {
      const allowed = policy.bindRoots.length ? policy.bindRoots.map((r) => r.path).join(', ') : 'none';
      throw new DomainError('policy_denied', `bind mounts from ${source} are not allowed (allowed: ${allowed})`);
    }
    // Read-only unless the root was configured writable: a writable bind is where the next symlink is planted.
    spec.binds.push({ source, target: target(b.target, 'binds.target'), readOnly: !root.writable || b.readOnly === true });
  }
  if (req.network !== undefined) {
    if (FORBIDDEN_NETWORKS.has(req.network) || req.network.startsWith('container:')) {
      throw new DomainError('policy_denied', `network "${req.network}" shares another namespace and is not allowed`);
    }
    if (!NETWORK.test(req.network)) throw bad(`network "${req.network.slice(0, 64)}" is not a network name`);
    spec.network = req.network;
  }
  if (req.memory !== undefined) spec.memory = req.memory;
  if (req.cpus !== undefined) spec.nanoCpus = Math.round(req.cpus * 1e9);
  return {
    spec,
    pull: req.pull ?? 'missing',
    start: req.start !== false,
    pullReference: lookup.reference?.full,
    pullRegistry: lookup.reference?.registry,
  };
}
