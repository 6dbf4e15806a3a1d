import Docker from 'dockerode';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testEnv } from '../../support/test-env';

/** Images made for the image-admin tests: built from seed/base:1 with a layer and labels of their own. */
export const adminDocker = (): Docker => new Docker({ socketPath: testEnv().socketPath });

export const runId = (): string => `ia${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * Builds `FROM seed/base:1` + a unique label + a layer of `kib` KiB (classic builder, offline). Returns the image
 * id. Without `tag` the result is dangling. The label comes first so no step is shared with another run's build.
 */
export async function buildOwnImage(run: string, opts: { tag?: string; kib?: number; extraLabel?: string } = {}): Promise<string> {
  try {
    return await buildOnce(run, opts);
  } catch (err) {
    // Seen once in an integration run: a step's parent image (an untagged intermediate of this very build) was
    // gone when the next step ran ("unable to find image sha256:…"). Which of the files running beside it removed
    // it was not found; the build starts again from the base.
    if (!/unable to find image/.test((err as Error).message)) throw err;
    return buildOnce(run, opts);
  }
}

async function buildOnce(run: string, opts: { tag?: string; kib?: number; extraLabel?: string }): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-build-'));
  const labels = [`dockhand.test=image-admin`, `dockhand.ia-run=${run}`, ...(opts.extraLabel ? [opts.extraLabel] : [])];
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      'FROM seed/base:1',
      `LABEL ${labels.join(' ')}`,
      `RUN dd if=/dev/urandom of=/ia-blob bs=1024 count=${opts.kib ?? 64} 2>/dev/null && echo ${run}-${Math.random()} > /ia-marker`,
      'CMD ["sleep", "300"]',
    ].join('\n'),
  );
  try {
    const docker = adminDocker();
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile'] }, { ...(opts.tag ? { t: opts.tag } : {}), rm: true, forcerm: true });
    const out = await new Promise<{ aux?: { ID?: string }; error?: string }[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, res: { aux?: { ID?: string }; error?: string }[]) =>
        err ? reject(err) : resolve(res),
      ),
    );
    const failed = out.find((m) => m.error);
    if (failed) throw new Error(`build failed: ${failed.error}`);
    const id = out.find((m) => m.aux?.ID)?.aux?.ID;
    if (!id) throw new Error('build gave no image id');
    return id;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function imageExists(name: string): Promise<boolean> {
  try {
    await adminDocker().getImage(name).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Every image carrying this run's label (with intermediates), for cleanup and before/after comparisons. */
export async function imagesOfRun(run: string): Promise<Docker.ImageInfo[]> {
  return adminDocker().listImages({ all: true, filters: JSON.stringify({ label: [`dockhand.ia-run=${run}`] }) });
}

export async function cleanupRun(run: string): Promise<void> {
  const docker = adminDocker();
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dockhand.ia-run=${run}`] }) });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  // Children first: newest images are the leaves of this run's build chains.
  const images = (await imagesOfRun(run)).sort((a, b) => b.Created - a.Created);
  for (const img of images) {
    for (const tag of (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>'))
      await docker
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

/**
 * Pushes `ref` (which must name the open loopback registry) so the image gains a digest reference, as a pulled
 * image has. Returns that digest reference; `forgetPushed` deletes the manifest from the registry again.
 */
export async function pushToLoopback(ref: string): Promise<string> {
  const docker = adminDocker();
  // An empty auth config: the registry is open, and without the header the engine waits for one.
  const stream = await docker.getImage(ref).push({ authconfig: {} });
  const out = await new Promise<{ error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, res: { error?: string }[]) => (err ? reject(err) : resolve(res))),
  );
  const failed = out.find((m) => m.error);
  if (failed) throw new Error(`push failed: ${failed.error}`);
  const digests = (await docker.getImage(ref).inspect()).RepoDigests ?? [];
  const repo = ref.slice(0, ref.lastIndexOf(':'));
  const digestRef = digests.find((d) => d.startsWith(`${repo}@`));
  if (!digestRef) throw new Error(`push of ${ref} left no digest reference`);
  return digestRef;
}

export async function forgetPushed(digestRef: string): Promise<void> {
  const at = digestRef.indexOf('@');
  const slash = digestRef.indexOf('/');
  const [host, name, digest] = [digestRef.slice(0, slash), digestRef.slice(slash + 1, at), digestRef.slice(at + 1)];
  await fetch(`http://${host}/v2/${name}/manifests/${digest}`, { method: 'DELETE', signal: AbortSignal.timeout(5000) }).catch(() => undefined);
}
