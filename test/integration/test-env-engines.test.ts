import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { engine } from '../helpers/containers';
import { seed, testEnv } from '../../support/test-env';
import { makeTlsCerts, readTlsDir, type TlsFiles } from '../../support/tls-certs';

// scripts/test-env.sh starts two engines beside the main one for the tests of several engines: B on a unix socket of
// its own, C only on tcp://127.0.0.1 with mutual TLS. Both hold the seed image, both leave the host firewall alone.
const DOCKER_CLI = '/usr/bin/docker';
const b = () => testEnv().engineB;
const c = () => testEnv().engineC;
const cTls = () => readTlsDir(c().tlsDir);

function unixGet(socketPath: string, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: urlPath, timeout: 10000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject)
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

/** GET on engine C over https with whatever client material is given (`ca` alone: no client certificate). */
function cGet(urlPath: string, tls: Partial<TlsFiles>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: c().host, port: c().port, path: urlPath, timeout: 10000, agent: false, ...tls }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject)
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

function cliImages(env: NodeJS.ProcessEnv): string[] {
  const out = execFileSync(DOCKER_CLI, ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { env: { ...process.env, ...env } });
  return out.toString().trim().split('\n');
}

// Go's TLS server answers a missing or foreign client certificate with an alert (bad certificate / certificate required).
const HANDSHAKE_REFUSED = /alert|certificate|ECONNRESET|socket hang up/i;

const cmdline = (pidFile: string) => fs.readFileSync(`/proc/${fs.readFileSync(pidFile, 'utf8').trim()}/cmdline`, 'utf8').split('\0');

describe('engine B (unix socket)', () => {
  test('when asked GET /_ping on its socket, then it answers OK', async () => {
    expect(b().dockerHost).toBe(`unix://${b().socketPath}`);
    expect(await unixGet(b().socketPath, '/_ping')).toEqual({ status: 200, body: 'OK' });
  });

  test('when the docker CLI lists its images (DOCKER_HOST), then the seed image is there', () => {
    expect(cliImages({ DOCKER_HOST: b().dockerHost })).toContain(seed.web143());
  });

  test('when it runs, then it has its own bridge and leaves the firewall and ip_forward alone', () => {
    const args = cmdline(b().pidFile);
    expect(args).toEqual(expect.arrayContaining(['--iptables=false', '--ip-forward=false', '--ip-masq=false']));
    const bridge = args[args.indexOf('--bridge') + 1];
    const mainArgs = cmdline(testEnv().dockerdPidFile);
    expect(bridge).not.toBe(mainArgs[mainArgs.indexOf('--bridge') + 1]);
    expect(fs.existsSync(`/sys/class/net/${bridge}/bridge`)).toBe(true);
  });
});

describe('engine C (tcp://127.0.0.1 with mutual TLS)', () => {
  test('when a client shows no certificate, then the TLS handshake is refused', async () => {
    await expect(cGet('/_ping', { ca: cTls().ca })).rejects.toThrow(HANDSHAKE_REFUSED);
  });

  test('when a client shows a certificate from another CA, then it is refused', async () => {
    const other = makeTlsCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'other-ca-')));
    try {
      const { cert, key } = readTlsDir(other.clientDir);
      await expect(cGet('/_ping', { ca: cTls().ca, cert, key })).rejects.toThrow(HANDSHAKE_REFUSED);
    } finally {
      fs.rmSync(other.dir, { recursive: true, force: true });
    }
  });

  test('when a client shows the client certificate, then /_ping answers OK', async () => {
    expect(c().dockerHost).toBe(`tcp://127.0.0.1:${c().port}`);
    expect(await cGet('/_ping', cTls())).toEqual({ status: 200, body: 'OK' });
  });

  test('when dockerode connects over https with ca, cert and key, then it lists the seed image', async () => {
    const docker = new Docker({ host: c().host, port: c().port, protocol: 'https', ...cTls() });
    const tags = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    expect(tags).toContain(seed.web143());
  });

  test('when the docker CLI uses DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, then it lists the seed image', () => {
    expect(cliImages({ DOCKER_HOST: c().dockerHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: c().tlsDir })).toContain(seed.web143());
  });

  test('when it runs, then it listens only on tcp, with --tlsverify, and leaves the firewall alone', () => {
    const args = cmdline(c().pidFile);
    const hosts = args.flatMap((a, i) => (a === '--host' || a === '-H' ? [args[i + 1]] : []));
    expect(hosts).toEqual([c().dockerHost]);
    expect(args).toEqual(expect.arrayContaining(['--tlsverify', '--iptables=false', '--ip-forward=false', '--ip-masq=false']));
  });
});

test('when each engine is asked GET /info, then main, B and C are three different engines', async () => {
  const main = await engine().info();
  const engineB = JSON.parse((await unixGet(b().socketPath, '/info')).body) as { ID: string; DockerRootDir: string };
  const engineC = JSON.parse((await cGet('/info', cTls())).body) as { ID: string; DockerRootDir: string };
  const ids = [main.ID as string, engineB.ID, engineC.ID];
  expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
  expect(new Set(ids).size).toBe(3);
  expect(new Set([main.DockerRootDir as string, engineB.DockerRootDir, engineC.DockerRootDir]).size).toBe(3);
});
