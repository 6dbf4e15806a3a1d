import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type {
  ActionResult,
  ContainerDetails,
  ContainerListQuery,
  ContainerReplica,
  ContainerReplicas,
  ContainerRepository,
  ContainerSpec,
  ContainerSummary,
  LogsResult,
} from '../domain/containers/container';
import type { LogLine, LogQuery, StatsSample } from '../domain/containers/container-streams';
import { DomainError, type ErrorCode } from '../domain/errors';
import { toCreateBody, toDetails, toSummary } from './container-mapping';
import { toReplicaSpec } from './replica-spec';
import { logOptions } from './docker-container-streams';
import { engineCall, toDomainError } from './engine-errors';
import type { ReadCache } from './read-cache';
import type { ReadOptions } from '../domain/read-options';
import { tcpPortInUse } from './host-port-probe';
import { LogDemuxer } from './log-demux';
import { toStatsSample, type EngineStats } from './stats-sample';

/** Characters of log text one answer keeps; beyond it the oldest lines are dropped. */
export const MAX_LOG_CHARS = 4 * 1024 * 1024;

const isStatus = (err: unknown, code: number): boolean => (err as { statusCode?: number })?.statusCode === code;
const anyAddress = (ip: string | undefined): boolean => !ip || ip === '0.0.0.0' || ip === '::';

/** The engine's grace period when neither the request nor the container names one (Engine API 1.41). */
export const ENGINE_DEFAULT_STOP_TIMEOUT_S = 10;

export interface RepositoryOptions {
  timeoutMs: number;
  /**
   * A client without a socket idle timeout, for the calls that wait out a grace period (stop, restart): the engine
   * sends nothing until the container has stopped, which may be longer than an ordinary call may stay silent.
   * Defaults to the ordinary client.
   */
  waiting?: Docker;
  /** The engine runs on this host (unix socket): host ports can be probed locally. */
  probeLocalPorts: boolean;
}

export class DockerContainerRepository implements ContainerRepository, ContainerReplicas {
  /** @param listCache answers of the list without sizes, kept until a container or image changes. */
  constructor(
    private readonly docker: Docker,
    private readonly opts: RepositoryOptions,
    private readonly listCache?: ReadCache<ContainerSummary[]>,
  ) {}

  async list(q: ContainerListQuery, read: ReadOptions = {}): Promise<ContainerSummary[]> {
    const filters: Record<string, string[]> = {};
    for (const key of ['label', 'status', 'name', 'ancestor', 'id', 'network'] as const) {
      if (q[key]?.length) filters[key] = q[key]!;
    }
    const options = { all: q.all, size: q.size, filters: JSON.stringify(filters) };
    const listed = async () => (await this.call(() => this.docker.listContainers(options))).map((r) => toSummary(r, q.size));
    // Sizes change with every write inside a container, which no event announces: a sized list always asks.
    if (q.size || !this.listCache) return listed();
    return this.listCache.get(`all=${q.all} ${options.filters}`, listed, read);
  }

  async inspect(ref: string): Promise<ContainerDetails> {
    return toDetails(await this.call(() => this.docker.getContainer(ref).inspect(), 'container_not_found'));
  }

  async replicaOf(ref: string): Promise<ContainerReplica> {
    const c = await this.call(() => this.docker.getContainer(ref).inspect(), 'container_not_found');
    // The image may be gone (removed with force): then nothing is subtracted, and the spec keeps all it had.
    const image = await this.call(() => this.docker.getImage(c.Image).inspect()).catch(() => undefined);
    const hc =
      (c.Config as { Healthcheck?: { Test?: string[] } }).Healthcheck ??
      (image?.Config as { Healthcheck?: { Test?: string[] } } | undefined)?.Healthcheck;
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      running: c.State.Running === true,
      imageId: c.Image,
      spec: toReplicaSpec(c, image),
      healthcheck: !!hc?.Test && hc.Test.length > 0 && hc.Test[0] !== 'NONE',
    };
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.call(() => this.docker.getImage(image).inspect(), 'image_not_found');
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'image_not_found') return false;
      throw err;
    }
  }

  async create(spec: ContainerSpec): Promise<string> {
    // `_query`/`_body` keep the body out of the URL: dockerode would otherwise copy every field, env values
    // included, into the query string of the create request.
    const args = { _query: spec.name ? { name: spec.name } : {}, _body: toCreateBody(spec) } as unknown as Docker.ContainerCreateOptions;
    const c = await engineCall(() => this.docker.createContainer(args), {
      conflict: 'name_conflict',
      notFound: 'not_found',
      timeoutMs: this.opts.timeoutMs,
    });
    return c.id;
  }

  start(ref: string): Promise<ActionResult> {
    return this.action(ref, (c) => c.start(), 'container_paused');
  }

  async stop(ref: string, timeoutSeconds?: number): Promise<ActionResult> {
    const grace = await this.graceSeconds(ref, timeoutSeconds);
    return this.action(ref, (c) => c.stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }), 'conflict', grace, this.waiting);
  }

  async restart(ref: string, timeoutSeconds?: number): Promise<ActionResult> {
    const grace = await this.graceSeconds(ref, timeoutSeconds);
    return this.action(ref, (c) => c.restart(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }), 'conflict', grace, this.waiting);
  }

  kill(ref: string, signal?: string): Promise<ActionResult> {
    return this.action(ref, (c) => c.kill(signal === undefined ? {} : { signal }), 'container_not_running');
  }

  async pause(ref: string): Promise<ActionResult> {
    return this.alreadyIs(
      ref,
      () => this.action(ref, (c) => c.pause(), 'container_not_running'),
      (s) => s.paused,
    );
  }

  async unpause(ref: string): Promise<ActionResult> {
    return this.alreadyIs(
      ref,
      () => this.action(ref, (c) => c.unpause(), 'conflict'),
      (s) => s.running && !s.paused,
    );
  }

  async rename(ref: string, name: string): Promise<void> {
    await this.call(() => this.docker.getContainer(ref).rename({ name }), 'container_not_found', 'name_conflict');
  }

  async remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void> {
    // A forced remove kills (SIGKILL, no grace period) and waits for the exit: the ordinary budget, but on the client
    // that tolerates the silence of that wait.
    const client = opts.force ? this.waiting : this.docker;
    await this.call(() => client.getContainer(ref).remove({ force: opts.force, v: opts.volumes }), 'container_not_found', 'container_running');
  }

  async hostPortsTaken(ports: ContainerSpec['ports']): Promise<{ hostPort: number; protocol: string }[]> {
    const wanted = ports.filter((p) => p.hostPort !== undefined);
    if (wanted.length === 0) return [];
    const running = await this.call(() => this.docker.listContainers({ all: false }));
    const taken: { hostPort: number; protocol: string }[] = [];
    for (const w of wanted) {
      const byContainer = running.some((c) =>
        (c.Ports ?? []).some(
          (p) => p.PublicPort === w.hostPort && p.Type === w.protocol && (anyAddress(p.IP) || anyAddress(w.hostIp) || p.IP === w.hostIp),
        ),
      );
      const byHost = !byContainer && this.opts.probeLocalPorts && w.protocol === 'tcp' && (await tcpPortInUse(w.hostPort!, w.hostIp));
      if (byContainer || byHost) taken.push({ hostPort: w.hostPort!, protocol: w.protocol });
    }
    return taken;
  }

  async logs(ref: string, q: LogQuery): Promise<LogsResult> {
    const info = await this.call(() => this.docker.getContainer(ref).inspect(), 'container_not_found');
    const tty = info.Config.Tty === true;
    const stream = await this.call(() => this.dialLogs(info.Id, logOptions(q, false)), 'container_not_found');
    const demux = new LogDemuxer(tty, q.timestamps === true);
    let kept: LogLine[] = [];
    let head = 0;
    let chars = 0;
    let truncated = false;
    const keep = (lines: LogLine[]) => {
      for (const l of lines) {
        kept.push(l);
        chars += l.line.length;
        while (chars > MAX_LOG_CHARS) {
          chars -= kept[head++].line.length;
          truncated = true;
        }
      }
      if (head > 1024) {
        kept = kept.slice(head);
        head = 0;
      }
    };
    const timer = setTimeout(() => stream.destroy(new Error('timeout reading logs')), this.opts.timeoutMs);
    try {
      for await (const chunk of stream) keep(demux.push(chunk as Buffer));
      keep(demux.end());
    } catch (err) {
      throw toDomainError(err);
    } finally {
      clearTimeout(timer);
    }
    return { lines: kept.slice(head), truncated, tty };
  }

  async stats(ref: string): Promise<StatsSample> {
    // stream=false makes the engine take two readings a second apart, so the CPU delta is real.
    const raw = await this.call(() => this.docker.getContainer(ref).stats({ stream: false }) as Promise<EngineStats>, 'container_not_found');
    return toStatsSample(raw);
  }

  private dialLogs(id: string, options: Record<string, unknown>): Promise<Readable> {
    // dockerode's logs() buffers the whole answer when not following; dialling as a stream keeps it bounded.
    return new Promise((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `/containers/${id}/logs?`,
          method: 'GET',
          isStream: true,
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
          options,
        },
        (err: Error | null, data: unknown) => (err ? reject(err) : resolve(data as Readable)),
      );
    });
  }

  private get waiting(): Docker {
    return this.opts.waiting ?? this.docker;
  }

  /**
   * The grace period the engine will wait before SIGKILL: the request's, else the container's own `StopTimeout`,
   * else the engine's 10 s. A container whose PID 1 ignores SIGTERM (`sh -c …`, busybox httpd) takes all of it.
   */
  private async graceSeconds(ref: string, requested: number | undefined): Promise<number> {
    if (requested !== undefined) return requested;
    const info = await this.call(() => this.docker.getContainer(ref).inspect(), 'container_not_found');
    // Engine API 1.41 has it in Config; @types/dockerode lists it only for create.
    const own = (info.Config as { StopTimeout?: number } | undefined)?.StopTimeout;
    // A negative StopTimeout means "wait forever" to the engine: the call is then bounded by the default only.
    return typeof own === 'number' && own >= 0 ? own : ENGINE_DEFAULT_STOP_TIMEOUT_S;
  }

  /** A lifecycle call; the engine's 304 ("already started/stopped") is a success that changed nothing. */
  private action(
    ref: string,
    fn: (c: Docker.Container) => Promise<unknown>,
    conflict: ErrorCode,
    graceSeconds = 0,
    client = this.docker,
  ): Promise<ActionResult> {
    const c = client.getContainer(ref);
    return engineCall(
      async () => {
        try {
          await fn(c);
          return { changed: true };
        } catch (err) {
          if (isStatus(err, 304)) return { changed: false };
          throw err;
        }
      },
      // Stopping waits for the container's grace period before the engine answers: the budget is that plus an ordinary call's.
      { notFound: 'container_not_found', conflict, timeoutMs: this.opts.timeoutMs + graceSeconds * 1000 },
    );
  }

  /**
   * Pausing a paused container answers 409 and unpausing a running one 500 on this engine: when the container
   * already is in the asked-for state (read from its state, not from the error text), that is a success that
   * changed nothing.
   */
  private async alreadyIs(ref: string, act: () => Promise<ActionResult>, isSo: (s: ContainerDetails['state']) => boolean): Promise<ActionResult> {
    try {
      return await act();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'container_not_running' || code === 'conflict' || code === 'engine_error') {
        const now = await this.inspect(ref);
        if (isSo(now.state)) return { changed: false };
        if (code === 'engine_error' && !now.state.running) throw new DomainError('container_not_running', `container ${ref} is not running`);
      }
      throw err;
    }
  }

  private call<T>(fn: () => Promise<T>, notFound?: ErrorCode, conflict?: ErrorCode): Promise<T> {
    return engineCall(fn, { notFound, conflict, timeoutMs: this.opts.timeoutMs });
  }
}
