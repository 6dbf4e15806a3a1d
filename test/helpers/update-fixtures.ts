import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './containers';
import { testEnv } from '../../support/test-env';

const run = promisify(execFile);

/** The docker.io CLI against the test engine, with a config dir of its own (logins stay in it). */
export async function dockerCli(args: string[], configDir: string, input?: string): Promise<string> {
  if (input !== undefined) {
    return new Promise((resolve, reject) => {
      const p = spawn('/usr/bin/docker', ['--config', configDir, ...args], { env: { ...process.env, DOCKER_HOST: testEnv().dockerHost } });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`docker ${args.join(' ')}: ${out}`))));
      p.stdin.end(input);
    });
  }
  const { stdout } = await run('/usr/bin/docker', ['--config', configDir, ...args], {
    env: { ...process.env, DOCKER_HOST: testEnv().dockerHost, DOCKER_BUILDKIT: '0' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * An image of the test's own on top of `from` (one label more): pushing it records RepoDigests on it, not on the
 * shared seed image (a RepoDigest is a reference: it would change what removing the seed tag does for other tests).
 */
export async function buildVariant(from: string, tag: string, label: string, configDir: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-upd-build-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${from}\nLABEL dockhand.test.upd="${label}"\n`);
  try {
    await dockerCli(['build', '-q', '-t', tag, dir], configDir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
export const MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const ACCEPT = [MANIFEST_V2, MANIFEST_LIST, 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json'].join(', ');

const basic = (user?: string, password?: string): Record<string, string> =>
  user ? { Authorization: `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` } : {};

/** The raw manifest a tag points at in a loopback registry. */
export async function getManifest(registry: string, repo: string, ref: string, user?: string, password?: string) {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${ref}`, { headers: { Accept: ACCEPT, ...basic(user, password) } });
  if (res.status !== 200) throw new Error(`GET manifest ${repo}:${ref} → ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  return {
    body,
    mediaType: (res.headers.get('content-type') ?? '').split(';')[0],
    digest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
  };
}

export async function putManifest(registry: string, repo: string, tag: string, body: Buffer, mediaType: string): Promise<string> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { 'Content-Type': mediaType }, body });
  if (res.status !== 201) throw new Error(`PUT manifest ${repo}:${tag} → ${res.status} ${await res.text()}`);
  return res.headers.get('docker-content-digest') ?? '';
}

/** Points `toTag` at what `fromTag` points at, in the registry only (the engine's tags are not touched). */
export async function moveTag(registry: string, repo: string, fromTag: string, toTag: string): Promise<string> {
  const m = await getManifest(registry, repo, fromTag);
  return putManifest(registry, repo, toTag, m.body, m.mediaType);
}

/** A hand-made Docker manifest list (multi-arch index) with one entry: the manifest of `fromTag`, for linux/amd64. */
export async function putManifestList(registry: string, repo: string, fromTag: string, toTag: string, arch: string): Promise<string> {
  const m = await getManifest(registry, repo, fromTag);
  const list = {
    schemaVersion: 2,
    mediaType: MANIFEST_LIST,
    manifests: [{ mediaType: m.mediaType, digest: m.digest, size: m.body.length, platform: { architecture: arch, os: 'linux' } }],
  };
  return putManifest(registry, repo, toTag, Buffer.from(JSON.stringify(list)), MANIFEST_LIST);
}

/** A registry of the test's own (it stops it), open, on a free loopback port. */
export async function startOwnRegistry(): Promise<{ host: string; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-upd-registry-'));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: ${dir}/data}\n  delete: {enabled: true}\nhttp: {addr: 127.0.0.1:${port}}\n`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://${host}/v2/`)).status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('own registry did not come up');
    await new Promise((r) => setTimeout(r, 100));
  }
  let stopped = false;
  return {
    host,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
