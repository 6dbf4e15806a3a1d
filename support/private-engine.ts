// Shared by test/ and bench/ (bench runs without jest and imports nothing from test/): a private dockerd of its own.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { dockerdTlsArgs, makeTlsCerts, readTlsDir, type TlsCerts, type TlsFiles } from './tls-certs';

/**
 * A dockerd of the test's own, for fault tests that must kill, restart or hang an engine: the shared isolated
 * engines are never touched. No bridge, no iptables; its own data root, exec root, pidfile and socket under a
 * short /tmp directory (containerd's socket path inside the exec root has a 108-byte limit).
 */
interface PrivateEngineBase {
  dir: string;
  /** `unix://…` or `tcp://127.0.0.1:port`, for startService({ DOCKER_HOST }). */
  readonly dockerHost: string;
  readonly pid: number;
  /** SIGTERM by pid and wait for the process to exit (SIGKILL after `graceMs`); a paused engine is resumed first. */
  stop(graceMs?: number): Promise<void>;
  /** Starts it again on the same data root; resolves when it answers /_ping. */
  start(): Promise<void>;
  /**
   * SIGSTOP by pid: the engine hangs (connections are accepted by the kernel, nothing answers) until resume().
   * Resolves once every thread of the process is stopped: kill() only queues the signal, and a loaded machine has
   * been seen to leave dockerd running for a while after it returned.
   */
  pause(): Promise<void>;
  /** SIGCONT by pid. */
  resume(): void;
  /** Whether it answers GET /_ping within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
  /** Runs the docker.io CLI against this engine. */
  cli(args: string[], input?: Buffer): string;
}

/** A private engine on a unix socket. */
export interface PrivateEngine extends PrivateEngineBase {
  socketPath: string;
}

/** A private engine listening only on tcp://127.0.0.1:port, with mutual TLS (a client certificate is required). */
export interface TlsPrivateEngine extends PrivateEngineBase {
  host: string;
  port: number;
  /** The client's ca.pem, cert.pem, key.pem (DOCKER_CERT_PATH). */
  tlsDir: string;
  /** Those three files, read (for dockerode's `{ ca, cert, key }` or an https agent). */
  tls: TlsFiles;
}

export interface PrivateEngineOptions {
  /** Listen on tcp://127.0.0.1 (a free port) with mutual TLS instead of a unix socket. */
  tls?: boolean;
  /** Run the daemon in a network namespace of its own (created here, removed by destroy()). */
  netns?: EngineNetns;
}

const DOCKER_CLI = '/usr/bin/docker';

function pingUnix(socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function pingTls(host: string, port: number, tls: TlsFiles, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get({ host, port, path: '/_ping', timeout: timeoutMs, ...tls, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** A port nothing listens on right now (dockerd binds it a moment later; start() retries on a clash). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
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

/** The state letter (R, S, D, T, …) of each thread of a process, from /proc/<pid>/task/<tid>/stat. */
function threadStates(pid: number): string[] {
  const states: string[] = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      // The command name in parentheses may itself hold ") ": the state follows the last one.
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      states.push(stat.slice(stat.lastIndexOf(') ') + 2)[0]);
    } catch {
      // a thread that ended between readdir and read
    }
  }
  return states;
}

/** One private dockerd process; startPrivateEngine's overloads say which of its two shapes a caller sees. */
class PrivateDockerd implements PrivateEngine, TlsPrivateEngine {
  readonly socketPath: string;
  readonly host = '127.0.0.1';
  port = 0;
  readonly tlsDir: string;
  readonly tls: TlsFiles;
  private currentPid = 0;
  private paused = false;

  constructor(
    readonly dir: string,
    private readonly certs: TlsCerts | undefined,
    private readonly netns?: EngineNetns,
  ) {
    this.socketPath = path.join(dir, 'd.sock');
    this.tlsDir = certs?.clientDir ?? '';
    this.tls = certs ? readTlsDir(certs.clientDir) : { ca: Buffer.alloc(0), cert: Buffer.alloc(0), key: Buffer.alloc(0) };
  }

  get pid(): number {
    return this.currentPid;
  }

  get dockerHost(): string {
    return this.certs ? `tcp://${this.host}:${this.port}` : `unix://${this.socketPath}`;
  }

  private args(): string[] {
    const listen = this.certs ? ['--host', this.dockerHost, ...dockerdTlsArgs(this.certs)] : ['--host', this.dockerHost];
    return [
      ...listen,
      '--data-root',
      path.join(this.dir, 'data'),
      '--exec-root',
      path.join(this.dir, 'x'),
      '--pidfile',
      path.join(this.dir, 'd.pid'),
      // dockerd 20.10 derives GET /info's ID from /etc/docker/key.json, shared by every daemon on the host: a key of its
      // own (settable only in a config file) makes this engine's ID its own.
      '--config-file',
      this.configFile(),
      '--bridge',
      'none',
      '--iptables=false',
      '--log-level',
      'warn',
      // Running containers get this long to stop when the daemon shuts down, so a restart stays quick.
      '--shutdown-timeout',
      '2',
    ];
  }

  private configFile(): string {
    const file = path.join(this.dir, 'daemon.json');
    fs.writeFileSync(file, JSON.stringify({ 'deprecated-key-path': path.join(this.dir, 'key.json') }));
    return file;
  }

  private logTail(): string {
    return fs.readFileSync(path.join(this.dir, 'dockerd.log'), 'utf8').slice(-2000);
  }

  ping(timeoutMs = 1000): Promise<boolean> {
    return this.certs ? pingTls(this.host, this.port, this.tls, timeoutMs) : pingUnix(this.socketPath, timeoutMs);
  }

  /** false when dockerd exited before answering (e.g. its port was taken). */
  private async startOnce(): Promise<boolean> {
    const log = fs.openSync(path.join(this.dir, 'dockerd.log'), 'a');
    // nsenter (not `ip netns exec`, which remounts /sys and hides the cgroups) execs dockerd in place: its pid is the daemon's.
    const cmd = this.netns ? 'nsenter' : 'dockerd';
    const cmdArgs = this.netns ? [`--net=/var/run/netns/${this.netns.name}`, 'dockerd', ...this.args()] : this.args();
    const child = spawn(cmd, cmdArgs, { detached: true, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    child.unref();
    this.currentPid = child.pid ?? 0;
    this.paused = false;
    const deadline = Date.now() + 30000;
    while (!(await this.ping())) {
      if (!alive(this.currentPid)) return false;
      if (Date.now() > deadline) throw new Error(`private dockerd did not come up: ${this.logTail()}`);
      await sleep(100);
    }
    return true;
  }

  async start(): Promise<void> {
    if (this.certs && !this.port) this.port = await freePort();
    // A tcp engine may lose its port to another process between freePort() and dockerd's bind: take another.
    for (let attempt = 1; !(await this.startOnce()); attempt++) {
      if (!this.certs || !/address already in use/i.test(this.logTail()) || attempt >= 3) {
        throw new Error(`private dockerd did not come up: ${this.logTail()}`);
      }
      this.port = await freePort();
    }
  }

  async pause(): Promise<void> {
    const pid = this.currentPid;
    if (!pid || !alive(pid)) throw new Error('private dockerd is not running');
    process.kill(pid, 'SIGSTOP');
    this.paused = true;
    const deadline = Date.now() + 10000;
    for (let states = threadStates(pid); states.some((s) => s !== 'T'); states = threadStates(pid)) {
      if (Date.now() > deadline) throw new Error(`private dockerd ${pid} did not stop after SIGSTOP: thread states ${states.join('')}`);
      await sleep(10);
    }
  }

  resume(): void {
    if (this.currentPid && alive(this.currentPid)) process.kill(this.currentPid, 'SIGCONT');
    this.paused = false;
  }

  async stop(graceMs = 15000): Promise<void> {
    const pid = this.currentPid;
    if (!pid || !alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    // A stopped process keeps SIGTERM pending: let it run so it can shut down.
    if (this.paused) this.resume();
    const deadline = Date.now() + graceMs;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(50);
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.netns) deleteNetns(this.netns);
    try {
      fs.rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // a leftover mount keeps a file busy; /tmp is cleaned eventually
    }
  }

  cli(cliArgs: string[], input?: Buffer): string {
    const env = this.certs ? { ...process.env, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: this.certs.clientDir } : process.env;
    return execFileSync(DOCKER_CLI, ['-H', this.dockerHost, ...cliArgs], { input, env, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  }
}

/**
 * Starts a private dockerd and imports a busybox image into it as `image` (default `pe-busybox:1`). With
 * `{ tls: true }` it listens only on tcp://127.0.0.1:<free port> and requires a client certificate
 * (support/make-tls-certs.sh makes a CA, server and client certificates under its directory). With `netns`, the
 * daemon runs in a network namespace of its own (created here, removed by destroy()).
 */
export function startPrivateEngine(image?: string, options?: PrivateEngineOptions & { tls?: false }): Promise<PrivateEngine>;
export function startPrivateEngine(image: string, options: PrivateEngineOptions & { tls: true }): Promise<TlsPrivateEngine>;
export async function startPrivateEngine(image = 'pe-busybox:1', options: PrivateEngineOptions = {}): Promise<PrivateEngine | TlsPrivateEngine> {
  const dir = fs.mkdtempSync('/tmp/pe-');
  if (options.netns) createNetns(options.netns);
  const engine = new PrivateDockerd(dir, options.tls ? makeTlsCerts(path.join(dir, 'tls')) : undefined, options.netns);
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
