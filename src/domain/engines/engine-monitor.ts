import type { EngineInfo, EngineStatus, EngineVersion } from '../engine-status';
import { withTimeout } from '../timeout';
import { isDomainError } from '../errors';

/** One engine as `GET /api/v1/engines` and /readyz report it. */
export interface EngineReport {
  name: string;
  status: 'up' | 'down';
  /** When it was last seen to change between up and down (ISO 8601); null before the first answer. */
  since: string | null;
  required: boolean;
  labels: Record<string, string>;
  version: EngineVersion | null;
  info: EngineInfo | null;
  /** Why it is down (an engine error's message, or "no answer within N ms"). */
  error: string | null;
}

export interface MonitoredEngine {
  name: string;
  status: EngineStatus;
  required: boolean;
  labels: Record<string, string>;
}

export interface EngineMonitorOptions {
  /** An engine's answer is reused this long: whoever polls, each engine is asked at most once per ttl. */
  ttlMs: number;
  /**
   * A version call that takes longer says `down`: a hung engine must not hold up a list of all engines. Info gets the
   * same bound but never decides up or down (see probe).
   */
  probeTimeoutMs: number;
  now: () => number;
}

/**
 * Every engine's state, asked on demand (never in the background): version and info together, bounded by a probe
 * timeout, shared between concurrent callers and reused for `ttlMs`. Engines are probed in parallel, so one hung
 * engine costs a list the probe timeout, never its engine timeout, and never slows another engine's answer.
 */
export class EngineMonitor {
  private readonly engines = new Map<string, MonitoredEngine>();
  private readonly held = new Map<string, { at: number; report: Promise<EngineReport> }>();
  private readonly last = new Map<string, { status: 'up' | 'down'; since: string }>();
  private readonly lastInfo = new Map<string, EngineInfo>();
  private readonly opts: EngineMonitorOptions;

  constructor(engines: readonly MonitoredEngine[], opts: Partial<EngineMonitorOptions> = {}) {
    for (const e of engines) this.engines.set(e.name, e);
    this.opts = { ttlMs: 1000, probeTimeoutMs: 2000, now: Date.now, ...opts };
  }

  /** The engines' reports, in the order asked, probed in parallel. */
  reports(names: readonly string[]): Promise<EngineReport[]> {
    return Promise.all(names.map((n) => this.report(n)));
  }

  /** Up or down as last seen, without asking (undefined: never asked). */
  lastKnown(name: string): 'up' | 'down' | undefined {
    return this.last.get(name)?.status;
  }

  report(name: string): Promise<EngineReport> {
    const engine = this.engines.get(name);
    if (!engine) return Promise.reject(new Error(`unknown engine ${name}`));
    const h = this.held.get(name);
    if (h && this.opts.now() - h.at < this.opts.ttlMs) return h.report;
    const entry = { at: Number.POSITIVE_INFINITY, report: this.probe(engine) };
    this.held.set(name, entry);
    void entry.report.then((r) => {
      // A failure is not reused: the first call after the engine comes back sees it up.
      if (r.status === 'up') entry.at = this.opts.now();
      else if (this.held.get(name) === entry) this.held.delete(name);
    });
    return entry.report;
  }

  /**
   * Up or down is the version call's answer alone. /info is the heavier call (a swarm manager asks its raft store for
   * the node counts; older engines waited there for container locks, moby#25748), and an engine that answers its
   * version has answered: calling it down because its info was late would be false. A late info keeps the last seen.
   */
  private async probe(e: MonitoredEngine): Promise<EngineReport> {
    const base = { name: e.name, required: e.required, labels: e.labels };
    const info = withTimeout(e.status.info(), this.opts.probeTimeoutMs).then(
      (i) => {
        this.lastInfo.set(e.name, i);
        return i;
      },
      () => this.lastInfo.get(e.name) ?? null,
    );
    try {
      const version = await withTimeout(e.status.version(), this.opts.probeTimeoutMs);
      return { ...base, status: 'up', since: this.seen(e.name, 'up'), version, info: await info, error: null };
    } catch (err) {
      const error = isDomainError(err) || err instanceof Error ? err.message : 'the engine did not answer';
      return { ...base, status: 'down', since: this.seen(e.name, 'down'), version: null, info: null, error };
    }
  }

  private seen(name: string, status: 'up' | 'down'): string {
    const prev = this.last.get(name);
    if (prev?.status === status) return prev.since;
    const since = new Date(this.opts.now()).toISOString();
    this.last.set(name, { status, since });
    return since;
  }
}
