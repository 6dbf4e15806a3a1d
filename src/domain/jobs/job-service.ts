import { randomUUID } from 'node:crypto';
import { DomainError, isDomainError, type ErrorCode } from '../errors';
import type { ImagePuller } from '../images/image-puller';
import type { ImageTransfer } from '../images/image-transfer';
import type { RegistryAllowlist, RegistryCredentials, RegistryStore } from '../registries/registry';
import { roleAllows, type Role } from '../auth/roles';
import { FINAL_JOB_STATES, JOB_START_ROLE, TASK_KINDS, type Job, type JobFeed, type JobKind, type JobState, type ServiceJobProgress } from './job';
import { checkUuid } from '../ids';
import { checkCredentialsMatch, resolvePull, resolvePush } from './job-requests';
import { completeProgress, initialProgress, reduceProgress, toJobProgress, type ProgressState } from './progress';
import type { ProgressMessage } from './progress-message';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export interface JobServiceOptions {
  /** Finished jobs kept at most this long… */
  finishedTtlMs: number;
  /** …and at most this many (the oldest go first). */
  maxFinished: number;
  /** Running jobs at once; more is rate_limited. */
  maxActive: number;
  /** How often the retention sweep runs; 0 for never (tests sweep by reading). */
  sweepIntervalMs: number;
  /**
   * A job whose engine stream says nothing but "Retrying in N seconds" (or nothing at all) for this long fails as
   * registry_unreachable. The engine alone retries a broken layer download 5 times over ~75 s before it gives up.
   */
  stallTimeoutMs: number;
}

export const DEFAULT_JOB_OPTIONS: JobServiceOptions = {
  finishedTtlMs: 15 * 60_000,
  maxFinished: 200,
  maxActive: 16,
  sweepIntervalMs: 60_000,
  stallTimeoutMs: 60_000,
};

type Listener = (job: Job) => void;

interface Entry {
  job: Job;
  progress: ProgressState;
  key: string;
  controller: AbortController;
  cancelRequested: boolean;
  listeners: Set<Listener>;
  finishedAtMs: number | null;
  /** When the engine last said something other than a retry countdown, and what. */
  lastProgressAtMs: number;
  lastStatus: string | null;
  done: Promise<Job>;
  settle: (job: Job) => void;
  /** Task jobs only. */
  steps?: { done: number; total: number };
  result?: Record<string, unknown>;
  service?: ServiceJobProgress;
  /** Task jobs are not watched for stalls: a settle period or a slow stop says nothing for a while. */
  task: boolean;
}

/** What a task job's body may do while it runs. */
export interface TaskContext {
  /** Aborted when the job is cancelled or the service stops. */
  signal: AbortSignal;
  /** Reports progress: `done` of `total` steps, and what runs now (with what a swarm service job shows of its tasks). */
  step: (done: number, total: number, status: string, service?: ServiceJobProgress) => void;
}

export interface StartRequest {
  createdBy: string;
  registryId?: string;
  /** The engine that pulls or pushes; absent: `default`. */
  engine?: string;
}

/** The jobs service as one engine's services see it: what they start runs on that engine. */
export interface EngineJobs extends ImagePuller {
  readonly engine: string;
  startPull(req: StartRequest & { image: string; platform?: string }): Promise<Job>;
  startPush(req: StartRequest & { ref: string }): Promise<Job>;
  startTask(kind: JobKind, key: string, subject: string, createdBy: string, body: (ctx: TaskContext) => Promise<Record<string, unknown>>): Job;
  get(id: string): Job | undefined;
  wait(id: string): Promise<Job>;
}

/**
 * Pulls and pushes as jobs that outlive the request that started them. One engine transfer per
 * (kind, reference, platform, credentials) at a time: a second request while it runs joins the job.
 */
export class JobService implements JobFeed, ImagePuller {
  private readonly entries = new Map<string, Entry>();
  private readonly active = new Map<string, Entry>();
  private readonly endListeners = new Set<Listener>();
  private readonly sweeper: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  private readonly transfers: ReadonlyMap<string, ImageTransfer>;

  constructor(
    /** Each engine's transfer adapter by engine name; one alone is the `default` engine's. */
    transfers: ImageTransfer | ReadonlyMap<string, ImageTransfer>,
    private readonly registries: RegistryStore,
    private readonly allowlist: RegistryAllowlist,
    private readonly clock: Clock = systemClock,
    private readonly opts: JobServiceOptions = DEFAULT_JOB_OPTIONS,
    private readonly onListenerError: (err: unknown) => void = () => undefined,
  ) {
    this.transfers = transfers instanceof Map ? transfers : new Map([['default', transfers as ImageTransfer]]);
    if (opts.sweepIntervalMs > 0) {
      this.sweeper = setInterval(() => this.sweep(), opts.sweepIntervalMs);
      this.sweeper.unref();
    }
  }

  /** The jobs service bound to one engine: pulls, pushes and tasks started through it run there. */
  forEngine(engine: string): EngineJobs {
    this.transferOf(engine);
    return {
      engine,
      startPull: (req) => this.startPull({ ...req, engine }),
      startPush: (req) => this.startPush({ ...req, engine }),
      startTask: (kind, key, subject, createdBy, body) => this.startTask(kind, key, subject, createdBy, body, engine),
      pullAndWait: (reference, opts) => this.pullAndWait(reference, { ...opts, engine }),
      get: (id) => this.get(id),
      wait: (id) => this.wait(id),
    };
  }

  private transferOf(engine: string): ImageTransfer {
    const t = this.transfers.get(engine);
    if (!t) throw new DomainError('engine_not_found', `no engine "${engine}"`, { engine });
    return t;
  }

  async startPull(req: StartRequest & { image: string; platform?: string }): Promise<Job> {
    const engine = req.engine ?? 'default';
    const transfer = this.transferOf(engine);
    const r = resolvePull(req.image, req.platform, this.allowlist);
    const creds = await this.credentials(req.registryId, r.registry);
    const key = `pull|${engine}|${r.image}|${req.platform ?? ''}|${req.registryId ?? ''}`;
    return this.start(
      'pull',
      key,
      r.image,
      req.createdBy,
      (signal) => transfer.pull(r.target, creds, signal),
      () => transfer.isPresent(r.image),
      engine,
    );
  }

  async startPush(req: StartRequest & { ref: string }): Promise<Job> {
    const engine = req.engine ?? 'default';
    const transfer = this.transferOf(engine);
    const r = resolvePush(req.ref, this.allowlist);
    const creds = await this.credentials(req.registryId, r.registry);
    if (!(await transfer.isPresent(r.image))) throw new DomainError('image_not_found', `no local image "${r.image}" to push`);
    const key = `push|${engine}|${r.image}|${req.registryId ?? ''}`;
    return this.start(
      'push',
      key,
      r.image,
      req.createdBy,
      (signal) => transfer.push(r.target, creds, signal),
      async () => true,
      engine,
    );
  }

  /**
   * A job whose work is the service's own (not an engine stream): `body` runs once per `key` at a time (a second
   * start while it runs joins it); what it returns is the job's `result`, what it throws (a DomainError) its error.
   */
  startTask(
    kind: JobKind,
    key: string,
    subject: string,
    createdBy: string,
    body: (ctx: TaskContext) => Promise<Record<string, unknown>>,
    engine = 'default',
  ): Job {
    return this.start(
      kind,
      `${kind}|${engine}|${key}`,
      subject,
      createdBy,
      (signal) => this.runTask(body, signal),
      async () => true,
      engine,
    );
  }

  async pullAndWait(reference: string, opts: StartRequest): Promise<{ jobId: string }> {
    const job = await this.wait((await this.startPull({ image: reference, ...opts })).id);
    throwIfUnsuccessful(job);
    return { jobId: job.id };
  }

  get(id: string): Job | undefined {
    this.sweep();
    return this.entries.get(id)?.job;
  }

  /** The job, or job_not_found; the id is checked first. */
  find(id: string): Job {
    const job = this.get(checkUuid(id, 'job'));
    if (!job) throw new DomainError('job_not_found', `no job ${id} (finished jobs are kept for a limited time)`);
    return job;
  }

  /** Running and recent jobs, newest first. */
  list(filter: { kind?: JobKind; state?: JobState; engines?: readonly string[] } = {}): Job[] {
    this.sweep();
    return [...this.entries.values()]
      .map((e) => e.job)
      .filter(
        (j) =>
          (!filter.kind || j.kind === filter.kind) &&
          (!filter.state || j.state === filter.state) &&
          (!filter.engines || filter.engines.includes(j.engine)),
      )
      .reverse();
  }

  /** Resolves with the job once it is final. */
  wait(id: string): Promise<Job> {
    const e = this.entries.get(checkUuid(id, 'job'));
    if (!e) return Promise.reject(new DomainError('job_not_found', `no job ${id}`));
    return e.done;
  }

  /**
   * Aborts the engine transfer; the job ends as cancelled. Resolves with the final job. Only a role that could have
   * started a job of this kind may cancel it (an operator cannot cancel an admin's push).
   */
  async cancel(id: string, by: Role): Promise<Job> {
    const job = this.find(id);
    const e = this.entries.get(job.id) as Entry;
    const need = JOB_START_ROLE[job.kind];
    if (!roleAllows(by, need)) throw new DomainError('forbidden', `cancelling a ${job.kind} job needs the ${need} role, as starting one does`);
    if (isFinal(job.state)) throw new DomainError('conflict', `job ${id} already ended as ${job.state}`, { state: job.state });
    e.cancelRequested = true;
    e.controller.abort();
    return e.done;
  }

  subscribe(id: string, listener: Listener): () => void {
    const e = this.entries.get(id);
    if (!e || isFinal(e.job.state)) return () => undefined;
    e.listeners.add(listener);
    return () => e.listeners.delete(listener);
  }

  /** Told of every job once it ended (succeeded, failed or cancelled), e.g. for webhooks. */
  onEnded(listener: Listener): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Stops the sweep and aborts what still runs, so the process can exit. */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.stopWatchdog();
    const running = [...this.active.values()];
    for (const e of running) e.controller.abort();
    await Promise.all(running.map((e) => e.done));
  }

  private async credentials(registryId: string | undefined, registry: string): Promise<RegistryCredentials | undefined> {
    if (registryId === undefined) return undefined;
    const creds = await this.registries.credentials(checkUuid(registryId, 'registry'));
    if (!creds) throw new DomainError('registry_not_found', `no stored registry ${registryId}`);
    checkCredentialsMatch(creds.serverAddress, registry);
    return creds;
  }

  /** Adapts a task body to the stream shape `run` drives: one message per step, the result kept aside. */
  private async runTask(body: (ctx: TaskContext) => Promise<Record<string, unknown>>, signal: AbortSignal): Promise<AsyncIterable<ProgressMessage>> {
    const e = [...this.active.values()].find((x) => x.controller.signal === signal) as Entry;
    const step = (done: number, total: number, status: string, service?: ServiceJobProgress) => {
      e.steps = { done, total };
      if (service) e.service = service;
      e.progress = {
        ...e.progress,
        status,
        percent: Math.max(e.progress.percent, total > 0 ? Math.min(99, Math.floor((done / total) * 1000) / 10) : 0),
      };
      e.lastProgressAtMs = this.clock.now();
      e.lastStatus = status;
      this.update(e, {});
    };
    e.result = await body({ signal, step });
    return (async function* () {})();
  }

  private start(
    kind: JobKind,
    key: string,
    image: string,
    createdBy: string,
    open: (signal: AbortSignal) => Promise<AsyncIterable<ProgressMessage>>,
    confirm: () => Promise<boolean>,
    engine: string,
  ): Job {
    const running = this.active.get(key);
    if (running) return running.job;
    if (this.active.size >= this.opts.maxActive) {
      throw new DomainError('rate_limited', `${this.opts.maxActive} pulls and pushes are already running`, { retryAfterSeconds: 5 });
    }
    let settle!: (job: Job) => void;
    const done = new Promise<Job>((resolve) => (settle = resolve));
    const job: Job = {
      id: randomUUID(),
      kind,
      engine,
      image,
      state: 'queued',
      progress: toJobProgress(initialProgress(kind)),
      error: null,
      status: null,
      createdAt: this.iso(),
      startedAt: null,
      finishedAt: null,
      createdBy,
    };
    const e: Entry = {
      job,
      progress: initialProgress(kind),
      key,
      controller: new AbortController(),
      cancelRequested: false,
      listeners: new Set(),
      finishedAtMs: null,
      lastProgressAtMs: this.clock.now(),
      lastStatus: null,
      done,
      settle,
      task: TASK_KINDS.includes(kind),
    };
    this.entries.set(job.id, e);
    this.active.set(key, e);
    this.startWatchdog();
    void this.run(e, open, confirm);
    return job;
  }

  private async run(
    e: Entry,
    open: (signal: AbortSignal) => Promise<AsyncIterable<ProgressMessage>>,
    confirm: () => Promise<boolean>,
  ): Promise<void> {
    try {
      this.update(e, { state: 'running', startedAt: this.iso() });
      const stream = await open(e.controller.signal);
      for await (const msg of stream) {
        e.progress = reduceProgress(e.progress, msg, this.clock.now());
        if (msg.status) e.lastStatus = msg.id ? `${msg.id}: ${msg.status}` : msg.status;
        if (!msg.status?.startsWith('Retrying in ')) e.lastProgressAtMs = this.clock.now();
        // Breaking out of the loop closes the engine stream.
        if (e.progress.error !== null) return this.finish(e, 'failed', { code: msg.errorCode ?? 'engine_error', message: e.progress.error });
        this.update(e, {});
      }
      if (e.controller.signal.aborted) throw new Error('aborted');
      // The stream can end cleanly without the image (an engine that stops writing); only the engine's word counts.
      if (!(await confirm())) {
        return this.finish(e, 'failed', { code: 'engine_error', message: `the engine ended the ${e.job.kind} but ${e.job.image} is not present` });
      }
      e.progress = completeProgress(e.progress);
      this.finish(e, 'succeeded', null);
    } catch (err) {
      if (e.cancelRequested) return this.finish(e, 'cancelled', null);
      if (e.controller.signal.aborted) return this.finish(e, 'failed', { code: 'shutting_down', message: 'the service stopped during the job' });
      if (isDomainError(err)) return this.finish(e, 'failed', { code: err.code, message: err.message });
      const message = err instanceof Error ? err.message : String(err);
      this.finish(e, 'failed', { code: 'engine_unavailable', message: `the engine stream broke during the ${e.job.kind}: ${message}` });
    } finally {
      e.controller.abort();
    }
  }

  private update(e: Entry, patch: Partial<Job>): void {
    e.job = {
      ...e.job,
      ...patch,
      progress: toJobProgress(e.progress),
      status: e.progress.status,
      ...(e.steps ? { steps: { ...e.steps } } : {}),
      ...(e.result ? { result: e.result } : {}),
      ...(e.service ? { service: e.service } : {}),
    };
    for (const l of [...e.listeners]) {
      try {
        l(e.job);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  private finish(e: Entry, state: JobState, error: { code: ErrorCode; message: string } | null): void {
    if (isFinal(e.job.state)) return;
    e.finishedAtMs = this.clock.now();
    if (this.active.get(e.key) === e) this.active.delete(e.key);
    if (this.active.size === 0) this.stopWatchdog();
    this.update(e, { state, error, finishedAt: this.iso() });
    e.listeners.clear();
    // Close the engine stream before anyone hears the job ended: a failed or stalled pull must not run on.
    e.controller.abort();
    e.settle(e.job);
    for (const l of [...this.endListeners]) {
      try {
        l(e.job);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    this.sweep();
  }

  /** Fails (and aborts) the running jobs whose engine stream has not moved for stallTimeoutMs. Run by a timer. */
  checkStalls(): void {
    const now = this.clock.now();
    for (const e of [...this.active.values()]) {
      if (e.task) continue;
      const idle = now - e.lastProgressAtMs;
      if (idle < this.opts.stallTimeoutMs) continue;
      const last = e.lastStatus ? `; the engine's last word: "${e.lastStatus}"` : '';
      this.finish(e, 'failed', { code: 'registry_unreachable', message: `no progress for ${Math.round(idle / 1000)} s${last}` });
    }
  }

  private startWatchdog(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => this.checkStalls(), Math.max(250, Math.min(5000, this.opts.stallTimeoutMs / 4)));
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** Drops finished jobs past their time, then the oldest beyond the count. */
  private sweep(): void {
    const now = this.clock.now();
    const finished = [...this.entries.values()].filter((e) => e.finishedAtMs !== null);
    let excess = finished.length - this.opts.maxFinished;
    for (const e of finished) {
      if (excess > 0 || now - (e.finishedAtMs as number) > this.opts.finishedTtlMs) {
        this.entries.delete(e.job.id);
        excess--;
      }
    }
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

const isFinal = (s: JobState): boolean => FINAL_JOB_STATES.includes(s);

/** A failed or cancelled job as the error its waiter should see. */
export function throwIfUnsuccessful(job: Job): void {
  if (job.state === 'succeeded') return;
  if (job.state === 'cancelled') throw new DomainError('conflict', `job ${job.id} was cancelled`, { jobId: job.id });
  const code = (job.error?.code ?? 'engine_error') as ErrorCode;
  throw new DomainError(code, job.error?.message ?? `job ${job.id} failed`, { jobId: job.id });
}
