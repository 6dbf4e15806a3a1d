import type { StatsSample } from '../domain/containers/container-streams';

/** The fields of the engine's `/containers/{id}/stats` document this service reads (cgroup v1 and v2). */
export interface EngineStats {
  read?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  pids_stats?: { current?: number };
}

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

const n = (v: number | undefined | null): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
const round2 = (v: number): number => Math.round(v * 100) / 100;

/** Usage without the page cache, as the docker CLI shows it (inactive_file on v2, total_inactive_file on v1). */
export function memoryUsage(m: EngineStats['memory_stats']): number {
  const usage = n(m?.usage);
  const s = m?.stats ?? {};
  const cache = s.total_inactive_file ?? s.inactive_file ?? s.cache;
  return cache !== undefined && cache < usage ? usage - cache : usage;
}

/** CPU percent as `docker stats` computes it: the container's share of the host's CPU time between two readings. */
export function cpuPercent(s: EngineStats): { percent: number; onlineCpus: number } {
  const cpu = s.cpu_stats;
  const pre = s.precpu_stats;
  const onlineCpus = n(cpu?.online_cpus) || (cpu?.cpu_usage?.percpu_usage?.length ?? 0);
  const cpuDelta = n(cpu?.cpu_usage?.total_usage) - n(pre?.cpu_usage?.total_usage);
  const systemDelta = n(cpu?.system_cpu_usage) - n(pre?.system_cpu_usage);
  // The first reading of a stream has no previous one (precpu is empty): nothing can be said yet.
  if (!pre?.system_cpu_usage || systemDelta <= 0 || cpuDelta <= 0) return { percent: 0, onlineCpus };
  return { percent: round2((cpuDelta / systemDelta) * onlineCpus * 100), onlineCpus };
}

export function toStatsSample(s: EngineStats): StatsSample {
  const { percent, onlineCpus } = cpuPercent(s);
  const usage = memoryUsage(s.memory_stats);
  const limit = n(s.memory_stats?.limit);
  let rx = 0;
  let tx = 0;
  for (const net of Object.values(s.networks ?? {})) {
    rx += n(net.rx_bytes);
    tx += n(net.tx_bytes);
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') read += n(e.value);
    else if (op === 'write') write += n(e.value);
  }
  const readAt = s.read && !s.read.startsWith('0001-') ? new Date(s.read) : new Date();
  return {
    read: (Number.isNaN(readAt.getTime()) ? new Date() : readAt).toISOString(),
    cpuPercent: percent,
    onlineCpus,
    memoryUsage: usage,
    memoryLimit: limit,
    memoryPercent: limit > 0 ? round2((usage / limit) * 100) : 0,
    networkRxBytes: rx,
    networkTxBytes: tx,
    blockReadBytes: read,
    blockWriteBytes: write,
    pids: n(s.pids_stats?.current),
  };
}
