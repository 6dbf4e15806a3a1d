import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { startPrivateEngine, type PrivateEngine } from './private-engine';

/**
 * Two private engines for a real 2-node swarm, each in a network namespace of its own (`<prefix>a`, `<prefix>b`),
 * that can pull from the test environment's loopback registry. The registry listens on the host's 127.0.0.1, so a
 * relay in each namespace listens on that namespace's 127.0.0.1 (which the engine treats as an insecure registry,
 * as on the host) and forwards hop by hop over the veth pairs: host 10.232.<n>.1 ← a's 127.0.0.1 and a's
 * 10.232.<n+1>.1 ← b's 127.0.0.1.
 *
 * The swarm itself is not formed here: a test forms it through the API (`init` on a with `advertiseAddr`, `join`
 * of b with `advertiseAddr`), which is what it proves. Netns names and subnets are host-wide: each user (a test
 * file, the bench, a helper's environment) takes a prefix and a subnet pair of its own.
 */
export interface TwoNodeSwarm {
  a: PrivateEngine;
  b: PrivateEngine;
  /** The address a advertises to b (a's end of the a–b veth pair). */
  managerAddr: string;
  /** b's address on that pair. */
  workerAddr: string;
  /** `ENGINES` for the service: `<names[0]>=<a>,<names[1]>=<b>`. */
  engines(names?: [string, string]): string;
  /** Leaves the swarm on both, stops the relays and both engines, removes the namespaces. */
  destroy(): Promise<void>;
}

export interface TwoNodeSwarmOptions {
  /** Netns name prefix, at most 8 characters (e.g. `dkh5t`). */
  prefix: string;
  /** The third octet of the host–a pair; the a–b pair takes the next one (10.232.<subnet>.0/24, 10.232.<subnet+1>.0/24). */
  subnet: number;
  /** The registry's port on the host's 127.0.0.1 (the test environment's). */
  registryPort: number;
}

/** A TCP relay in this process's namespace. */
function relay(listenHost: string, listenPort: number, toHost: string, toPort: number): Promise<net.Server> {
  const server = net.createServer((c) => {
    const u = net.connect(toPort, toHost);
    c.pipe(u).pipe(c);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  return new Promise((resolve, reject) => server.once('error', reject).listen(listenPort, listenHost, () => resolve(server)));
}

const RELAY_JS = `const net=require('net');const [lh,lp,th,tp]=process.argv.slice(1);
net.createServer(c=>{const u=net.connect(+tp,th);c.pipe(u).pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());})
.listen(+lp,lh,()=>console.log('ready'));`;

/** A TCP relay run inside a network namespace (its own process, stopped by pid). */
function nsRelay(relays: ChildProcess[], ns: string, listenHost: string, toHost: string, port: number): Promise<void> {
  const child = spawn('nsenter', [`--net=/var/run/netns/${ns}`, process.execPath, '-e', RELAY_JS, listenHost, String(port), toHost, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  relays.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`relay in ${ns} exited with ${code}`)));
  });
}

export async function startTwoNodeSwarm(opts: TwoNodeSwarmOptions): Promise<TwoNodeSwarm> {
  const host = `10.232.${opts.subnet}`;
  const pair = `10.232.${opts.subnet + 1}`;
  const relays: ChildProcess[] = [];
  let hostRelay: net.Server | undefined;
  let a: PrivateEngine | undefined;
  let b: PrivateEngine | undefined;
  const destroy = async () => {
    for (const e of [b, a]) {
      try {
        e?.cli(['swarm', 'leave', '--force']);
      } catch {
        // not in a swarm
      }
    }
    for (const r of relays) if (r.pid && r.exitCode === null) process.kill(r.pid, 'SIGTERM');
    await new Promise<void>((resolve) => (hostRelay ? hostRelay.close(() => resolve()) : resolve()));
    await b?.destroy();
    await a?.destroy();
  };
  try {
    a = await startPrivateEngine('pe-busybox:1', { netns: { name: `${opts.prefix}a`, hostAddr: `${host}.1`, addr: `${host}.2` } });
    b = await startPrivateEngine('pe-busybox:1', {
      netns: { name: `${opts.prefix}b`, link: `${opts.prefix}a`, hostAddr: `${pair}.1`, addr: `${pair}.2` },
    });
    hostRelay = await relay(`${host}.1`, opts.registryPort, '127.0.0.1', opts.registryPort);
    await nsRelay(relays, `${opts.prefix}a`, '127.0.0.1', `${host}.1`, opts.registryPort);
    await nsRelay(relays, `${opts.prefix}a`, `${pair}.1`, `${host}.1`, opts.registryPort);
    await nsRelay(relays, `${opts.prefix}b`, '127.0.0.1', `${pair}.1`, opts.registryPort);
  } catch (err) {
    await destroy();
    throw err;
  }
  const [ea, eb] = [a, b];
  return {
    a: ea,
    b: eb,
    managerAddr: `${pair}.1`,
    workerAddr: `${pair}.2`,
    engines: (names = ['na', 'nb']) => `${names[0]}=${ea.dockerHost},${names[1]}=${eb.dockerHost}`,
    destroy,
  };
}
