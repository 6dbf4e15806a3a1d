import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { engine } from './containers';
import { seed, testEnv } from '../../support/test-env';

/**
 * Debian's chromium driven by playwright-core (never a downloaded browser), with the flags this machine needs:
 * no sandbox as root, and nothing that phones home (the network is closed; those connections only fail).
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockhand-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

const follow = (stream: NodeJS.ReadableStream): Promise<void> =>
  new Promise((resolve, reject) =>
    engine().modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const failed = out?.find((m) => m.error);
      if (err || failed) reject(err ?? new Error(failed?.error));
      else resolve();
    }),
  );

export interface SeededImage {
  /** `<registry>/console/app:<run>`, only in the registry (not local) when seeded. */
  ref: string;
  cleanup(): Promise<void>;
}

/**
 * An image of its own for the console test: the seed base plus one layer of random bytes, pushed to the loopback
 * registry and removed locally. Pulling it downloads that layer for real while the base layers are "already present".
 */
export async function seedConsoleImage(run: string): Promise<SeededImage> {
  const docker = engine();
  const { registry } = testEnv();
  const repo = `${registry}/console/app`;
  const ref = `${repo}:${run}`;
  const base = seed.base();
  await docker
    .getImage(base)
    .inspect()
    .catch(async () => follow(await docker.pull(base)));
  const builder = await docker.createContainer({
    Image: base,
    Cmd: ['sh', '-c', 'head -c 2500000 /dev/urandom > /blob'],
    Labels: { 'dockhand.test': 'console', 'dockhand.test.run': run },
  });
  try {
    await builder.start();
    await builder.wait();
    await builder.commit({ repo, tag: run });
  } finally {
    await builder.remove({ force: true }).catch(() => undefined);
  }
  // An empty auth config: the loopback registry is open, and without the header the engine waits for one.
  await follow(await docker.getImage(ref).push({ authconfig: {} }));
  await docker.getImage(ref).remove();
  return {
    ref,
    cleanup: async () => {
      await docker
        .getImage(ref)
        .remove({ force: true })
        .catch(() => undefined);
      await deleteFromRegistry(registry, 'console/app', run).catch(() => undefined);
    },
  };
}

/** Deletes a tag's manifest from the loopback registry (storage.delete is enabled there). */
async function deleteFromRegistry(registry: string, name: string, tag: string): Promise<void> {
  const [host, port] = registry.split(':');
  const req = (method: string, p: string, headers: Record<string, string> = {}) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = http.request({ host, port: Number(port), method, path: p, headers, timeout: 5000 }, (res) => (res.resume(), resolve(res)));
      r.on('timeout', () => r.destroy(new Error('registry timeout')));
      r.on('error', reject);
      r.end();
    });
  const head = await req('HEAD', `/v2/${name}/manifests/${tag}`, { Accept: 'application/vnd.docker.distribution.manifest.v2+json' });
  const digest = head.headers['docker-content-digest'];
  if (typeof digest === 'string') await req('DELETE', `/v2/${name}/manifests/${digest}`);
}
