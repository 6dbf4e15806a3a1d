import { toStatsSample, type EngineStats } from '../../../src/engine/stats-sample';

const base: EngineStats = {
  read: '2024-05-01T10:00:01.000Z',
  cpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 2 },
  precpu_stats: { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 10_000_000_000, online_cpus: 2 },
  memory_stats: { usage: 100 * 1024 * 1024, limit: 1024 * 1024 * 1024, stats: { total_inactive_file: 20 * 1024 * 1024 } },
  networks: { eth0: { rx_bytes: 100, tx_bytes: 50 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
  blkio_stats: {
    io_service_bytes_recursive: [
      { op: 'Read', value: 4096 },
      { op: 'Write', value: 8192 },
      { op: 'Total', value: 12288 },
    ],
  },
  pids_stats: { current: 3 },
};

describe('toStatsSample', () => {
  test('when two readings are present, then cpu percent is the share of system time times online CPUs', () => {
    // 1e9 of 10e9 system ns on 2 CPUs = 20 %
    expect(toStatsSample(base).cpuPercent).toBe(20);
  });

  test('when the cache is reported, then memory usage excludes it, as docker stats shows', () => {
    const s = toStatsSample(base);
    expect(s.memoryUsage).toBe(80 * 1024 * 1024);
    expect(s.memoryLimit).toBe(1024 * 1024 * 1024);
    expect(s.memoryPercent).toBe(7.81);
  });

  test('when cgroup v2 reports inactive_file, then it is the cache subtracted', () => {
    expect(toStatsSample({ ...base, memory_stats: { usage: 1000, limit: 2000, stats: { inactive_file: 400 } } }).memoryUsage).toBe(600);
  });

  test('when networks and block devices are listed, then their bytes are summed', () => {
    const s = toStatsSample(base);
    expect([s.networkRxBytes, s.networkTxBytes, s.blockReadBytes, s.blockWriteBytes, s.pids]).toEqual([101, 52, 4096, 8192, 3]);
  });

  test('when there is no previous reading (first sample of a stream), then cpu percent is 0, not NaN', () => {
    const s = toStatsSample({ ...base, precpu_stats: {} });
    expect(s.cpuPercent).toBe(0);
    expect(s.onlineCpus).toBe(2);
  });

  test('when the container is stopped (all zeros), then every figure is 0 and read is a valid time', () => {
    const s = toStatsSample({ read: '0001-01-01T00:00:00Z' });
    expect(s).toMatchObject({ cpuPercent: 0, memoryUsage: 0, memoryLimit: 0, memoryPercent: 0, pids: 0 });
    expect(Number.isNaN(Date.parse(s.read))).toBe(false);
  });
});
