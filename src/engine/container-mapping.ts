import type Docker from 'dockerode';
import type { ContainerDetails, ContainerSpec, ContainerStatus, ContainerSummary, RestartPolicy } from '../domain/containers/container';

const STATUSES: readonly ContainerStatus[] = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const status = (s: string | undefined): ContainerStatus => (STATUSES.includes(s as ContainerStatus) ? (s as ContainerStatus) : 'dead');
/** The engine writes `0001-01-01T00:00:00Z` for "never". */
const time = (t: string | undefined): string | null => (!t || t.startsWith('0001-') ? null : new Date(t).toISOString());
const unslash = (n: string): string => (n.startsWith('/') ? n.slice(1) : n);
const nonNegative = (v: number | undefined): number | undefined => (typeof v === 'number' && v >= 0 ? v : undefined);

/** The list row; the engine adds the two sizes only when asked (`size=true`). */
type ListRow = Docker.ContainerInfo & { SizeRw?: number; SizeRootFs?: number };

/** With `sized`, the engine omits a zero SizeRw (Go's omitempty): absent then means 0 bytes written. */
export function toSummary(c: ListRow, sized: boolean): ContainerSummary {
  const sizeRw = sized ? (nonNegative(c.SizeRw) ?? 0) : undefined;
  const sizeRootFs = sized ? (nonNegative(c.SizeRootFs) ?? 0) : undefined;
  return {
    id: c.Id,
    names: (c.Names ?? []).map(unslash),
    image: c.Image,
    imageId: c.ImageID,
    command: c.Command ?? '',
    created: new Date(c.Created * 1000).toISOString(),
    state: status(c.State),
    status: c.Status ?? '',
    ports: (c.Ports ?? []).map((p) => ({
      privatePort: p.PrivatePort,
      type: p.Type,
      ...(p.PublicPort ? { publicPort: p.PublicPort } : {}),
      ...(p.IP ? { ip: p.IP } : {}),
    })),
    labels: c.Labels ?? {},
    ...(sizeRw !== undefined ? { sizeRw } : {}),
    ...(sizeRootFs !== undefined ? { sizeRootFs } : {}),
  };
}

const RESTART_NAMES: readonly RestartPolicy['name'][] = ['no', 'always', 'unless-stopped', 'on-failure'];

export function toDetails(i: Docker.ContainerInspectInfo): ContainerDetails {
  const cfg = i.Config;
  const hc = i.HostConfig ?? {};
  const rp = hc.RestartPolicy;
  const restartName = RESTART_NAMES.includes(rp?.Name as RestartPolicy['name']) ? (rp!.Name as RestartPolicy['name']) : 'no';
  const ports: ContainerDetails['ports'] = [];
  const bound = (i.NetworkSettings?.Ports ?? {}) as Record<string, { HostIp: string; HostPort: string }[] | null>;
  const configured = (hc.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>;
  for (const key of new Set([...Object.keys(configured), ...Object.keys(bound)])) {
    const [port, protocol] = key.split('/');
    for (const b of bound[key] ?? configured[key] ?? []) {
      const hostPort = Number(b.HostPort);
      ports.push({ containerPort: Number(port), protocol: protocol ?? 'tcp', hostIp: b.HostIp ?? '', hostPort: hostPort > 0 ? hostPort : null });
    }
  }
  const net = (i.NetworkSettings ?? {}) as Docker.ContainerInspectInfo['NetworkSettings'] & { IPAddress?: string; Gateway?: string };
  const state = i.State as Docker.ContainerInspectInfo['State'] & { Health?: { Status?: string } };
  return {
    id: i.Id,
    name: unslash(i.Name),
    image: cfg.Image,
    imageId: i.Image,
    created: new Date(i.Created).toISOString(),
    state: {
      status: status(state.Status),
      running: state.Running,
      paused: state.Paused,
      restarting: state.Restarting,
      oomKilled: state.OOMKilled,
      dead: state.Dead,
      pid: state.Pid,
      exitCode: state.ExitCode,
      error: state.Error ?? '',
      startedAt: time(state.StartedAt),
      finishedAt: time(state.FinishedAt),
      ...(state.Health?.Status ? { health: state.Health.Status } : {}),
    },
    restartCount: i.RestartCount ?? 0,
    config: {
      hostname: cfg.Hostname ?? '',
      user: cfg.User ?? '',
      env: cfg.Env ?? [],
      cmd: cfg.Cmd ?? null,
      entrypoint: (cfg.Entrypoint as string[] | null | undefined) ?? null,
      workingDir: cfg.WorkingDir ?? '',
      labels: cfg.Labels ?? {},
      tty: cfg.Tty === true,
      openStdin: cfg.OpenStdin === true,
      exposedPorts: Object.keys(cfg.ExposedPorts ?? {}),
    },
    hostConfig: {
      networkMode: hc.NetworkMode ?? '',
      restartPolicy: { name: restartName, ...(restartName === 'on-failure' ? { maximumRetryCount: rp?.MaximumRetryCount ?? 0 } : {}) },
      memory: hc.Memory ?? 0,
      cpus: (hc.NanoCpus ?? 0) / 1e9,
    },
    networkSettings: {
      ipAddress: net.IPAddress ?? '',
      gateway: net.Gateway ?? '',
      networks: Object.fromEntries(
        Object.entries(i.NetworkSettings?.Networks ?? {}).map(([name, n]) => [
          name,
          { networkId: n.NetworkID ?? '', ipAddress: n.IPAddress ?? '', gateway: n.Gateway ?? '', macAddress: n.MacAddress ?? '' },
        ]),
      ),
    },
    ports,
    mounts: (i.Mounts ?? []).map((m) => ({
      type: m.Type ?? '',
      ...(m.Name ? { name: m.Name } : {}),
      source: m.Source ?? '',
      destination: m.Destination,
      readOnly: m.RW === false,
    })),
    envRedacted: false,
  };
}

/** The engine's create body, built field by field from a policy-checked spec: nothing else is ever sent. */
export function toCreateBody(spec: ContainerSpec): Docker.ContainerCreateOptions & { name?: never } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.hostPort !== undefined ? String(p.hostPort) : '' });
  }
  const mounts: Docker.MountSettings[] = [
    ...spec.volumes.map((v) => ({ Type: 'volume' as const, Source: v.name, Target: v.target, ReadOnly: v.readOnly })),
    ...spec.binds.map((b) => ({ Type: 'bind' as const, Source: b.source, Target: b.target, ReadOnly: b.readOnly })),
  ];
  const hostConfig: Docker.HostConfig = { PortBindings: bindings, Mounts: mounts };
  if (spec.restartPolicy) {
    hostConfig.RestartPolicy = { Name: spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount ?? 0 };
  }
  if (spec.network) hostConfig.NetworkMode = spec.network;
  if (spec.memory !== undefined) hostConfig.Memory = spec.memory;
  if (spec.nanoCpus !== undefined) hostConfig.NanoCpus = spec.nanoCpus;
  if (spec.noNewPrivileges) hostConfig.SecurityOpt = ['no-new-privileges'];
  if (spec.pidsLimit !== undefined) hostConfig.PidsLimit = spec.pidsLimit;
  return {
    Image: spec.image,
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    Env: spec.env,
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    Labels: spec.labels,
    ExposedPorts: exposed,
    Tty: spec.tty,
    OpenStdin: spec.openStdin,
    StdinOnce: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: hostConfig,
  };
}
