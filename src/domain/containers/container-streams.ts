/**
 * Container output and resource samples as our own types: the shared contract between the containers
 * adapter (REST logs and stats) and the WebSocket `logs` and `stats` channels.
 */
export type LogStream = 'stdout' | 'stderr';

export interface LogLine {
  stream: LogStream;
  /** ISO 8601 with the engine's precision, when timestamps were asked for (always for follows). */
  timestamp: string | null;
  /** One line without its trailing newline; partial lines are flushed when the stream ends. */
  line: string;
}

export interface LogQuery {
  tail?: number;
  /** Unix seconds (fractions allowed). */
  since?: number;
  until?: number;
  stdout?: boolean;
  stderr?: boolean;
  timestamps?: boolean;
}

export interface StatsSample {
  read: string;
  cpuPercent: number;
  onlineCpus: number;
  memoryUsage: number;
  memoryLimit: number;
  memoryPercent: number;
  networkRxBytes: number;
  networkTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
}

/** A live stream the consumer pulls from; `close()` ends it and releases the engine connection. */
export interface LiveStream<T> extends AsyncIterable<T> {
  close(): void;
}

export interface ContainerStreams {
  /** Follows output from `tail`/`since`; the iterator ends when the container stops. Throws container_not_found. */
  followLogs(container: string, query: LogQuery): Promise<LiveStream<LogLine>>;
  /** One sample roughly per second from the engine; ends when the container is removed. */
  streamStats(container: string): Promise<LiveStream<StatsSample>>;
}
