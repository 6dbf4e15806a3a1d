import type http from 'node:http';
import type { Logger } from 'pino';
import type { UpgradeHandler } from './server';

export interface ShutdownParts {
  server: http.Server;
  /** The WebSocket endpoint: its clients are closed with 1001 (going away). */
  ws: UpgradeHandler;
  /** Running pulls and pushes: ended as failed with code shutting_down, so waiters and subscribers hear why. */
  jobs: { close(): Promise<void>; list(): { state: string }[] };
  /** Everything else in the background (the engine event stream, timers). */
  closeServices(): Promise<void>;
  logger: Logger;
}

/**
 * The order matters: stop accepting first; then end the jobs, so a request waiting on one is answered (503
 * shutting_down) and a WebSocket job subscriber gets the final state before its socket closes with 1001; then let
 * the requests still in flight finish, closing keep-alive connections as they go idle. Resolves when all is closed;
 * the caller bounds it with the shutdown budget.
 */
export async function gracefulShutdown(p: ShutdownParts): Promise<{ jobsEnded: number; ms: number }> {
  const start = Date.now();
  const drained = new Promise<void>((resolve) => p.server.close(() => resolve()));
  p.server.closeIdleConnections();
  const running = p.jobs.list().filter((j) => j.state === 'running' || j.state === 'queued').length;
  await p.jobs.close();
  if (running > 0) p.logger.info({ jobs: running }, 'running jobs ended as failed: shutting_down');
  await p.ws.close();
  // A keep-alive connection goes idle once its last response is sent: close it then, not at the budget's end.
  const idle = setInterval(() => p.server.closeIdleConnections(), 50);
  try {
    await drained;
  } finally {
    clearInterval(idle);
  }
  await p.closeServices();
  return { jobsEnded: running, ms: Date.now() - start };
}
