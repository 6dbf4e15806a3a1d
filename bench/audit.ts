/**
 * What writing audit rows to SQLite adds to a mutating call: container start and stop through the service with the
 * audit trail as shipped (a log line and a row in DATA_DIR/dockhand.db, WAL, synchronous=FULL) against the same
 * service with the same log line and no row (a store that keeps nothing: "auditing to stdout only"), side by side in
 * alternating blocks (A B B A …) on the same engine and containers.
 *
 * Both sides are built in this process from the service's own composition root (src/wiring.ts, src/app.ts) and
 * served on loopback: the service has no setting that turns the rows off, and a bench-only setting would be a
 * production code path for the bench's sake. The bench client shares the process with both sides alike.
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app';
import { auditLogger } from '../src/audit/audit-logger';
import { loadConfig } from '../src/config/config';
import { AuditTrail } from '../src/domain/audit/audit-trail';
import { wire } from '../src/wiring';
import type { EngineSocket } from './lib/engine-socket';
import { BENCH_LABEL } from './lib/fixtures';
import { ServiceClient } from './lib/service-process';
import { sleep, summarize, type Summary } from './lib/stats';

export interface AuditSide {
  start: Summary;
  stop: Summary;
  errors: number;
}

export interface AuditResult {
  cycles: number;
  sqlite: AuditSide;
  stdoutOnly: AuditSide;
  /** Rows the SQLite side wrote during the run (read back from its database). */
  rowsWritten: number;
}

interface Acc {
  start: number[];
  stop: number[];
  errors: number;
}

async function serve(listener: http.RequestListener): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer(listener);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One block: `count` start + stop cycles of one container, each call timed on its own. */
async function block(client: ServiceClient, container: string, count: number, acc: Acc | undefined): Promise<void> {
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const a = await client.request('POST', `/api/v1/containers/${container}/start`);
    const t1 = performance.now();
    // timeout=0: SIGKILL at once, so the stop measures the call, not a grace period.
    const b = await client.request('POST', `/api/v1/containers/${container}/stop?timeout=0`);
    const t2 = performance.now();
    if (!acc) continue;
    acc.start.push(t1 - t0);
    acc.stop.push(t2 - t1);
    if (a.status !== 200) acc.errors++;
    if (b.status !== 200) acc.errors++;
  }
}

export async function runAudit(o: {
  engine: EngineSocket;
  dockerHost: string;
  image: string;
  workDir: string;
  blocks: number;
  perBlock: number;
  log: (s: string) => void;
}): Promise<AuditResult> {
  const token = 'bench-audit-token-0123456789';
  const dataDir = fs.mkdtempSync(path.join(o.workDir, 'audit-'));
  const config = loadConfig(
    { DOCKER_HOST: o.dockerHost, API_TOKENS: `bench:admin:${token}`, DATA_DIR: dataDir, LOG_LEVEL: 'info', PORT: '0' },
    () => 'unused',
  );
  // The production default: log lines (access log and audit) written to a file, as a deployment would.
  const logger = pino({ level: 'info' }, pino.destination({ dest: path.join(dataDir, 'service.log'), sync: false }));
  const wired = wire(config, logger);
  const stdoutOnly = new AuditTrail({ append: () => undefined, query: () => [], prune: () => 0 }, auditLogger(logger), {
    retentionDays: 0,
    onError: () => undefined,
  });
  const sides = {
    sqlite: await serve(buildApp(wired)),
    stdoutOnly: await serve(buildApp({ ...wired, audit: stdoutOnly })),
  };
  const names = { sqlite: 'bench-audit-a', stdoutOnly: 'bench-audit-b' };
  for (const name of Object.values(names)) {
    await o.engine.request('DELETE', `/containers/${name}?force=true`);
    await o.engine.json('POST', `/containers/create?name=${name}`, {
      Image: o.image,
      Cmd: ['/bin/sleep', '3600'],
      Labels: { [BENCH_LABEL]: '1' },
      HostConfig: { NetworkMode: 'none' },
    });
  }
  const clients = { sqlite: new ServiceClient(sides.sqlite.port, token), stdoutOnly: new ServiceClient(sides.stdoutOnly.port, token) };
  const acc: Record<'sqlite' | 'stdoutOnly', Acc> = { sqlite: { start: [], stop: [], errors: 0 }, stdoutOnly: { start: [], stop: [], errors: 0 } };
  const before = wired.audit.query({ limit: 1 })[0]?.id ?? 0;
  try {
    o.log(`audit: ${o.blocks} blocks of ${o.perBlock} start/stop cycles a side`);
    await block(clients.sqlite, names.sqlite, 5, undefined);
    await block(clients.stdoutOnly, names.stdoutOnly, 5, undefined);
    for (let b = 0; b < o.blocks; b++) {
      const order = b % 2 === 0 ? (['sqlite', 'stdoutOnly'] as const) : (['stdoutOnly', 'sqlite'] as const);
      for (const side of order) await block(clients[side], names[side], o.perBlock, acc[side]);
      await sleep(5);
    }
    const after = wired.audit.query({ limit: 1 })[0]?.id ?? 0;
    const side = (a: Acc): AuditSide => ({ start: summarize(a.start), stop: summarize(a.stop), errors: a.errors });
    return { cycles: acc.sqlite.start.length, sqlite: side(acc.sqlite), stdoutOnly: side(acc.stdoutOnly), rowsWritten: after - before };
  } finally {
    clients.sqlite.close();
    clients.stdoutOnly.close();
    await sides.sqlite.close();
    await sides.stdoutOnly.close();
    for (const name of Object.values(names)) await o.engine.request('DELETE', `/containers/${name}?force=true`);
    stdoutOnly.close();
    await wired.close();
    logger.flush();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
