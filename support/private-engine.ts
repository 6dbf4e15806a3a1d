// Shared by test/ and bench/ (bench runs without jest and imports nothing from test/): a private dockerd of its own.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/**
 * A dockerd of the test's own, for fault tests that must kill or restart an engine: the shared isolated
 * engine is never touched. No bridge, no iptables; its own data root, exec root, pidfile and socket under a
 * short /tmp directory (containerd's socket path inside the exec root has a 108-byte limit).
 */
export interface PrivateEngine {
  dir: string;
  socketPath: string;
  /** `unix://…`, for startService({ DOCKER_HOST }). */
  dockerHost: string;
  readonly pid: number;
  /** SIGTERM by pid and wait for the process to exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** Starts it again on the same data root; resolves when it answers /_ping. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
  /** Runs the docker.io CLI against this engine. */
  cli(args: string[], input?: Buffer): string;
}

const DOCKER_CLI = '/usr/bin/docker';

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a private dockerd and imports a busybox image into it as `image` (default `pe-busybox:1`). */
export async function startPrivateEngine(image = 'pe-busybox:1'): Promise<PrivateEngine> {
  const dir = fs.mkdtempSync('/tmp/pe-');
  const socketPath = path.join(dir, 'd.sock');
  let pid = 0;
  const args = [
    '--host',
    `unix://${socketPath}`,
    '--data-root',
    path.join(dir, 'data'),
    '--exec-root',
    path.join(dir, 'x'),
    '--pidfile',
    path.join(dir, 'd.pid'),
    '--bridge',
    'none',
    '--iptables=false',
    '--log-level',
    'warn',
    // Running containers get this long to stop when the daemon shuts down, so a restart stays quick.
    '--shutdown-timeout',
    '2',
  ];

  const engine: PrivateEngine = {
    dir,
    socketPath,
    dockerHost: `unix://${socketPath}`,
    get pid() {
      return pid;
    },
    async start() {
      const log = fs.openSync(path.join(dir, 'dockerd.log'), 'a');
      const child = spawn('dockerd', args, { detached: true, stdio: ['ignore', log, log] });
      fs.closeSync(log);
      child.unref();
      pid = child.pid ?? 0;
      const deadline = Date.now() + 30000;
      while (!(await ping(socketPath))) {
        if (!alive(pid) || Date.now() > deadline) {
          throw new Error(`private dockerd did not come up: ${fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
        }
        await sleep(100);
      }
    },
    async stop(graceMs = 15000) {
      if (!pid || !alive(pid)) return;
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (alive(pid) && Date.now() < deadline) await sleep(50);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      while (alive(pid)) await sleep(50);
    },
    async destroy() {
      await engine.stop();
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // a leftover mount keeps a file busy; /tmp is cleaned eventually
      }
    },
    cli(cliArgs, input) {
      return execFileSync(DOCKER_CLI, ['-H', engine.dockerHost, ...cliArgs], { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
    },
  };

  await engine.start();
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const app of ['sh', 'sleep', 'echo']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', app));
  const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
  engine.cli(['import', '-c', 'CMD ["/bin/sh"]', '-', image], tar);
  return engine;
}
