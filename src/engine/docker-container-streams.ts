import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { parseContainerRef } from '../domain/containers/container-ref';
import type { ContainerStreams, LiveStream, LogLine, LogQuery, StatsSample } from '../domain/containers/container-streams';
import { engineCall } from './engine-errors';
import { LogDemuxer } from './log-demux';
import { jsonLines, liveStream } from './live-stream';
import { toStatsSample, type EngineStats } from './stats-sample';

/** The engine's `/logs` query for a LogQuery. */
export function logOptions(q: LogQuery, follow: boolean): Record<string, unknown> {
  return {
    follow,
    stdout: q.stdout !== false,
    stderr: q.stderr !== false,
    timestamps: follow || q.timestamps === true,
    ...(q.tail !== undefined ? { tail: q.tail } : {}),
    ...(q.since !== undefined ? { since: q.since } : {}),
    ...(q.until !== undefined ? { until: q.until } : {}),
  };
}

/** Live logs and stats from the engine (the WebSocket channels consume these). */
export class DockerContainerStreams implements ContainerStreams {
  constructor(
    /** The client without a socket timeout: follows are long-lived and bounded by their consumers. */
    private readonly docker: Docker,
    private readonly timeoutMs: number,
  ) {}

  async followLogs(container: string, query: LogQuery): Promise<LiveStream<LogLine>> {
    const c = this.docker.getContainer(parseContainerRef(container));
    const opts = { notFound: 'container_not_found' as const, timeoutMs: this.timeoutMs };
    const info = await engineCall(() => c.inspect(), opts);
    const stream = await engineCall(() => c.logs({ ...logOptions(query, true), follow: true }) as unknown as Promise<Readable>, opts);
    const demux = new LogDemuxer(info.Config.Tty === true, true);
    return liveStream(
      stream,
      (chunk) => demux.push(chunk),
      () => demux.end(),
    );
  }

  async streamStats(container: string): Promise<LiveStream<StatsSample>> {
    const c = this.docker.getContainer(parseContainerRef(container));
    const stream = await engineCall(() => c.stats({ stream: true }) as unknown as Promise<Readable>, {
      notFound: 'container_not_found',
      timeoutMs: this.timeoutMs,
    });
    const docs = jsonLines<EngineStats>();
    return liveStream(stream, (chunk) => docs.parse(chunk).map(toStatsSample));
  }
}
