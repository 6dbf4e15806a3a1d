import type Docker from 'dockerode';
import type { Duplex, Readable } from 'node:stream';
import type { AttachTarget, ExecInfo, ExecSpec, OutputChunk, TerminalEngine, TerminalSize, TerminalStream } from '../domain/terminal/terminal';
import { engineCall } from './engine-errors';
import { StdioDemuxer } from './stdio-demux';

/** What `GET /exec/{id}/json` answers (the fields we read). */
interface EngineExecInspect {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  OpenStdin: boolean;
  Pid: number;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[] | null; user?: string };
}

/** The engine's exec create body for a spec, field by field: nothing else can reach the engine. */
export function toExecCreateBody(spec: ExecSpec): Record<string, unknown> {
  const body: Record<string, unknown> = {
    AttachStdin: spec.attachStdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: spec.tty,
    Cmd: spec.cmd,
    Env: spec.env,
  };
  if (spec.workingDir !== undefined) body.WorkingDir = spec.workingDir;
  if (spec.user !== undefined) body.User = spec.user;
  return body;
}

/**
 * An engine connection as a TerminalStream. Output is pulled by the consumer: while it waits (its client's
 * socket is full) nothing is read, so the engine connection, then the process's pipe, hold the bytes.
 */
export function terminalStream(socket: Duplex | Readable, tty: boolean): TerminalStream {
  let closed = false;
  const demux = new StdioDemuxer(tty);
  socket.on('error', () => undefined); // surfaced through the iteration below
  async function* output(): AsyncGenerator<OutputChunk> {
    try {
      for await (const chunk of socket) {
        for (const c of demux.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))) yield c;
      }
    } catch (err) {
      if (!closed) throw err;
    } finally {
      socket.destroy();
    }
  }
  return {
    output: output(),
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        const w = socket as Duplex;
        if (closed || typeof w.write !== 'function' || w.destroyed) return reject(new Error('the terminal is closed'));
        if (w.write(bytes)) resolve();
        else w.once('drain', () => resolve());
      }),
    close(lastBytes) {
      if (closed) return;
      closed = true;
      const w = socket as Duplex;
      if (!lastBytes || typeof w.end !== 'function' || w.destroyed) return void socket.destroy();
      // Half-close after the bytes so the engine delivers them, then let go of the connection.
      w.end(lastBytes);
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  };
}

export class DockerTerminal implements TerminalEngine {
  constructor(
    /** For request/response calls. */
    private readonly api: Docker,
    /** Without a socket timeout: sessions are long-lived and bounded by the idle timeout. */
    private readonly streaming: Docker,
    private readonly timeoutMs: number,
  ) {}

  async createExec(container: string, spec: ExecSpec): Promise<string> {
    const exec = await engineCall(() => this.api.getContainer(container).exec(toExecCreateBody(spec) as Docker.ExecCreateOptions), {
      notFound: 'container_not_found',
      // 409: the container is stopped, paused or restarting.
      conflict: 'container_not_running',
      timeoutMs: this.timeoutMs,
    });
    return exec.id;
  }

  async inspectExec(execId: string): Promise<ExecInfo> {
    const raw = (await engineCall(() => this.api.getExec(execId).inspect(), {
      notFound: 'exec_not_found',
      timeoutMs: this.timeoutMs,
    })) as unknown as EngineExecInspect;
    const pc = raw.ProcessConfig ?? { tty: false, entrypoint: '', arguments: [] };
    return {
      execId: raw.ID,
      containerId: raw.ContainerID,
      running: raw.Running === true,
      // Null while it runs and before it starts; a command that could not start has one (e.g. 126) and pid 0.
      exitCode: raw.Running ? null : (raw.ExitCode ?? null),
      tty: pc.tty === true,
      openStdin: raw.OpenStdin === true,
      cmd: [pc.entrypoint, ...(pc.arguments ?? [])],
      user: pc.user ?? '',
      pid: raw.Pid ?? 0,
    };
  }

  async startExec(execId: string, tty: boolean): Promise<TerminalStream> {
    // `hijack`/`stdin` are dockerode's switches; the engine's start body is Detach and Tty only.
    const opts = { hijack: true, stdin: true, Detach: false, Tty: tty };
    const socket = await engineCall(() => this.streaming.getExec(execId).start(opts), {
      notFound: 'exec_not_found',
      conflict: 'conflict',
      timeoutMs: this.timeoutMs,
    });
    return terminalStream(socket, tty);
  }

  async runExec(execId: string, tty: boolean): Promise<TerminalStream> {
    const stream = await engineCall(() => this.streaming.getExec(execId).start({ Detach: false, Tty: tty }) as Promise<Readable>, {
      notFound: 'exec_not_found',
      conflict: 'container_not_running',
      timeoutMs: this.timeoutMs,
    });
    return terminalStream(stream, tty);
  }

  async resizeExec(execId: string, size: TerminalSize): Promise<void> {
    await engineCall(() => this.api.getExec(execId).resize({ h: size.rows, w: size.cols }), {
      notFound: 'exec_not_found',
      conflict: 'conflict',
      timeoutMs: this.timeoutMs,
    });
  }

  async attachTarget(container: string): Promise<AttachTarget> {
    const c = await engineCall(() => this.api.getContainer(container).inspect(), { notFound: 'container_not_found', timeoutMs: this.timeoutMs });
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      running: c.State.Running === true,
      tty: c.Config.Tty === true,
      openStdin: c.Config.OpenStdin === true,
    };
  }

  async attach(container: string, tty: boolean): Promise<TerminalStream> {
    const socket = await engineCall(
      () => this.streaming.getContainer(container).attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }) as Promise<Duplex>,
      { notFound: 'container_not_found', conflict: 'container_not_running', timeoutMs: this.timeoutMs },
    );
    return terminalStream(socket, tty);
  }

  async resizeContainer(container: string, size: TerminalSize): Promise<void> {
    await engineCall(() => this.api.getContainer(container).resize({ h: size.rows, w: size.cols }), {
      notFound: 'container_not_found',
      conflict: 'container_not_running',
      timeoutMs: this.timeoutMs,
    });
  }

  async containerExitCode(container: string): Promise<number | null> {
    const c = await engineCall(() => this.api.getContainer(container).inspect(), { notFound: 'container_not_found', timeoutMs: this.timeoutMs });
    return c.State.Running ? null : c.State.ExitCode;
  }
}
