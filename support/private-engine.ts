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

/**
 * A network namespace of the engine's own, joined to the host's by a veth pair: what a second node of a swarm
 * needs (the gossip port 7946 cannot be moved, so two swarm daemons cannot share one namespace).
 */
export interface EngineNetns {
  /** The namespace's name (created, and deleted with its veth pair by destroy()). */
  name: string;
  /** The other end's address, e.g. `10.232.5.1`. */
  hostAddr: string;
  /** The namespace the other end of the veth pair goes into (another engine's, made before): absent, the host's. */
  link?: string;
  /** The namespace end's address, e.g. `10.232.5.2` (both ends are in one /24): the engine's swarm advertise address. */
  addr: string;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });

function createNetns(ns: EngineNetns): void {
  const hostEnd = `${ns.name}-h`.slice(0, 15);
  const nsEnd = `${ns.name}-n`.slice(0, 15);
  run('ip', ['netns', 'add', ns.name]);
  run('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd]);
  run('ip', ['link', 'set', nsEnd, 'netns', ns.name]);
  const inOther = (args: string[]) => (ns.link ? run('ip', ['netns', 'exec', ns.link, 'ip', ...args]) : run('ip', args));
  if (ns.link) run('ip', ['link', 'set', hostEnd, 'netns', ns.link]);
  inOther(['addr', 'add', `${ns.hostAddr}/24`, 'dev', hostEnd]);
  inOther(['link', 'set', hostEnd, 'up']);
  run('ip', ['netns', 'exec', ns.name, 'ip', 'addr', 'add', `${ns.addr}/24`, 'dev', nsEnd]);
  run('ip', ['netns', 'exec', ns.name, 'ip', 'link', 'set', nsEnd, 'up']);
  run('ip', ['netns', 'exec', ns.name, 'ip', 'link', 'set', 'lo', 'up']);
}

/** Deleting the namespace deletes the veth pair with it (the host end goes with its peer). */
function deleteNetns(ns: EngineNetns): void {
  try {
    run('ip', ['netns', 'delete', ns.name]);
  } catch {
    // already gone
  }
}

/**
 * Starts a private dockerd and imports a busybox image into it as `image` (default `pe-busybox:1`). With `netns`,
 * the daemon runs in a network namespace of its own (created here, removed by destroy()).
 */
export async function startPrivateEngine(image = 'pe-busybox:1', opts: { netns?: EngineNetns } = {}): Promise<PrivateEngine> {
  const dir = fs.mkdtempSync('/tmp/pe-');
  if (opts.netns) createNetns(opts.netns);
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
      // nsenter (not `ip netns exec`, which remounts /sys and hides the cgroups) execs dockerd in place: its pid is the daemon's.
      const cmd = opts.netns ? 'nsenter' : 'dockerd';
      const cmdArgs = opts.netns ? [`--net=/var/run/netns/${opts.netns.name}`, 'dockerd', ...args] : args;
      const child = spawn(cmd, cmdArgs, { detached: true, stdio: ['ignore', log, log] });
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
      if (opts.netns) deleteNetns(opts.netns);
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

  try {
    await engine.start();
  } catch (err) {
    await engine.destroy();
    throw err;
  }
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const app of ['sh', 'sleep', 'echo']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', app));
  const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
  engine.cli(['import', '-c', 'CMD ["/bin/sh"]', '-', image], tar);
  return engine;
}
