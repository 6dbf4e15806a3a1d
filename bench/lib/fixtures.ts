import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EngineSocket } from './engine-socket';
import { inPool } from './pool';
import { tarOf } from './tar';

export const BENCH_LABEL = 'dockhand.bench';

/** `count` distinct one-layer images `bench/img:<i>` (each its own small file, so each its own id). */
export async function importImages(engine: EngineSocket, from: number, count: number): Promise<void> {
  await inPool(count, 4, async (k) => {
    const i = from + k;
    const tar = tarOf({ [`img-${i}.txt`]: `bench image ${i} ${randomBytes(8).toString('hex')}\n` });
    const r = await engine.request('POST', `/images/create?fromSrc=-&repo=bench/img&tag=${i}`, tar, { 'Content-Type': 'application/x-tar' });
    if (r.status !== 200 || /"error"/.test(r.body.toString())) throw new Error(`import ${i}: ${r.status} ${r.body.toString().slice(0, 200)}`);
  });
}

/** Created (never started) containers `bench-c-<i>`: they count in `?all=true` and cost no CPU. */
export async function createContainers(engine: EngineSocket, image: string, from: number, count: number): Promise<void> {
  await inPool(count, 4, async (k) => {
    const i = from + k;
    await engine.json('POST', `/containers/create?name=bench-c-${i}`, {
      Image: image,
      Cmd: ['/bin/sh'],
      Labels: { [BENCH_LABEL]: '1', 'bench.index': String(i) },
      HostConfig: { NetworkMode: 'none' },
    });
  });
}

/**
 * The pull fixture: `registry/bench/pull:1`, three layers of incompressible data on top of busybox, built and
 * pushed once with the docker.io CLI (a later run finds it in the registry and reuses it).
 */
export async function ensurePullImage(
  cli: (args: string[]) => string,
  registry: string,
  baseImage: string,
  workDir: string,
  layerMb: number,
): Promise<string> {
  const ref = `${registry}/bench/pull:1`;
  const tags = await fetch(`http://${registry}/v2/bench/pull/tags/list`).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  );
  if (tags.includes('"1"')) return ref;
  const ctx = fs.mkdtempSync(path.join(workDir, 'pullctx-'));
  for (const n of [1, 2, 3]) fs.writeFileSync(path.join(ctx, `l${n}.bin`), randomBytes(layerMb * 1024 * 1024));
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${baseImage}\nCOPY l1.bin /l1.bin\nCOPY l2.bin /l2.bin\nCOPY l3.bin /l3.bin\n`);
  cli(['build', '-q', '-t', ref, ctx]);
  cli(['push', ref]);
  cli(['rmi', ref]);
  fs.rmSync(ctx, { recursive: true, force: true });
  return ref;
}
