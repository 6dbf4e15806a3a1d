import type Docker from 'dockerode';
import type { ContainerSpec, PortProtocol, RestartPolicy } from '../domain/containers/container';

const PROTOCOLS: readonly PortProtocol[] = ['tcp', 'udp', 'sctp'];
const RESTART_NAMES: readonly RestartPolicy['name'][] = ['no', 'always', 'unless-stopped', 'on-failure'];
/** Network modes every container has by default, or that the create policy refuses: never carried over. */
const DEFAULT_NETWORKS = new Set(['', 'default', 'bridge']);

const sameList = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === (b ?? [])[i]);

/**
 * The spec that recreates a container as it was asked for: what the create policy allows, from the engine's record
 * of the container, minus what it inherited from its image (ENV, LABEL, CMD, ENTRYPOINT, WORKDIR of the *old* image
 * must not be pinned onto the new one, or the replacement would still say it is the old version).
 */
export function toReplicaSpec(c: Docker.ContainerInspectInfo, image: Docker.ImageInspectInfo | undefined): ContainerSpec {
  const cfg = c.Config;
  const img = (image?.Config ?? {}) as Partial<Docker.ImageInspectInfo['Config']>;
  const hc = c.HostConfig ?? {};
  const imageEnv = new Set(img.Env ?? []);
  const imageLabels = img.Labels ?? {};
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg.Labels ?? {})) if (imageLabels[k] !== v) labels[k] = v;
  const ports: ContainerSpec['ports'] = [];
  for (const [key, bindings] of Object.entries((hc.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>)) {
    const [port, proto] = key.split('/');
    const protocol = (PROTOCOLS.includes(proto as PortProtocol) ? proto : 'tcp') as PortProtocol;
    for (const b of bindings ?? [{}]) {
      const hostPort = Number(b.HostPort);
      ports.push({
        containerPort: Number(port),
        protocol,
        ...(hostPort > 0 ? { hostPort } : {}),
        ...(b.HostIp ? { hostIp: b.HostIp } : {}),
      });
    }
  }
  const rp = hc.RestartPolicy;
  const restartName = RESTART_NAMES.includes(rp?.Name as RestartPolicy['name']) ? (rp?.Name as RestartPolicy['name']) : undefined;
  const volumes: ContainerSpec['volumes'] = [];
  const binds: ContainerSpec['binds'] = [];
  for (const m of c.Mounts ?? []) {
    if (m.Type === 'volume' && m.Name) volumes.push({ name: m.Name, target: m.Destination, readOnly: m.RW === false });
    if (m.Type === 'bind') binds.push({ source: m.Source, target: m.Destination, readOnly: m.RW === false });
  }
  const network = hc.NetworkMode && !DEFAULT_NETWORKS.has(hc.NetworkMode) ? hc.NetworkMode : undefined;
  const cmd = cfg.Cmd as string[] | null | undefined;
  const entrypoint = cfg.Entrypoint as string[] | null | undefined;
  return {
    image: cfg.Image,
    ...(cmd && !sameList(cmd, img.Cmd) ? { cmd: [...cmd] } : {}),
    ...(entrypoint && !sameList(entrypoint, img.Entrypoint as string[] | null | undefined) ? { entrypoint: [...entrypoint] } : {}),
    env: (cfg.Env ?? []).filter((e) => !imageEnv.has(e)),
    ...(cfg.WorkingDir && cfg.WorkingDir !== img.WorkingDir ? { workingDir: cfg.WorkingDir } : {}),
    labels,
    ports,
    ...(restartName && restartName !== 'no'
      ? { restartPolicy: { name: restartName, ...(restartName === 'on-failure' ? { maximumRetryCount: rp?.MaximumRetryCount ?? 0 } : {}) } }
      : {}),
    volumes,
    binds,
    ...(network ? { network } : {}),
    ...(hc.Memory ? { memory: hc.Memory } : {}),
    ...(hc.NanoCpus ? { nanoCpus: hc.NanoCpus } : {}),
    tty: cfg.Tty === true,
    openStdin: cfg.OpenStdin === true,
    // The hardening the old container ran with carries over (a create through Dockhand set both by policy).
    noNewPrivileges: ((hc.SecurityOpt ?? []) as string[]).some((o) => o === 'no-new-privileges' || o === 'no-new-privileges:true'),
    ...(hc.PidsLimit && hc.PidsLimit > 0 ? { pidsLimit: hc.PidsLimit } : {}),
  };
}
