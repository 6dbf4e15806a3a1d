/**
 * Builds of the service side by side: the REST rows of each build against the same private engine, in rounds whose
 * order alternates, each row interleaved with the direct engine call as in `npm run bench`. For deciding whether a
 * change helps on this shared machine, where only ratios measured together mean anything.
 *
 *   node scripts/build-variant.js dist/main-nofast.js --without-fast-reads   # a build to compare (after npm run build)
 *   AB_VARIANTS=fast=dist/main.js,nofast=dist/main-nofast.js AB_ROUNDS=2 AB_ENDPOINTS=2,3 npx tsx bench/variants.ts
 *
 * AB_ENDPOINTS indexes restEndpoints(): 0 image list, 1 container list, 2 image inspect, 3 inspect with no-cache.
 */
import fs from 'node:fs';
import { startPrivateEngine } from '../support/private-engine';
import { EngineSocket } from './lib/engine-socket';
import { createContainers, importImages } from './lib/fixtures';
import { ServiceClient, startServiceProcess } from './lib/service-process';
import { restEndpoints, runRest } from './rest';

const log = (s: string) => process.stderr.write(`[ab ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
async function main() {
  const variants = (process.env.AB_VARIANTS ?? '').split(',').map((v) => v.split('='));
  const rounds = Number(process.env.AB_ROUNDS ?? 2);
  const only = (process.env.AB_ENDPOINTS ?? '0,1,2,3').split(',').map(Number);
  const engine = await startPrivateEngine('bench-busybox:1');
  const workDir = fs.mkdtempSync('/tmp/dkb-ab-');
  const sock = new EngineSocket(engine.socketPath);
  const out: unknown[] = [];
  const svcs: { name: string; s: Awaited<ReturnType<typeof startServiceProcess>>; c: ServiceClient }[] = [];
  process.once(
    'SIGTERM',
    () =>
      void (async () => {
        for (const v of svcs) await v.s.stop().catch(() => undefined);
        await engine.destroy();
        process.exit(130);
      })(),
  );
  try {
    await importImages(sock, 0, 200);
    await createContainers(sock, 'bench-busybox:1', 0, 200);
    for (const [name, main] of variants) {
      const s = await startServiceProcess({ dockerHost: engine.dockerHost, allowedRegistries: 'docker.io', workDir, main });
      svcs.push({ name, s, c: new ServiceClient(s.port, s.token) });
    }
    const endpoints = restEndpoints('bench/img:17').filter((_, i) => only.includes(i));
    const levels = [
      { concurrency: 1, perBlock: 100, blocks: 8 },
      { concurrency: 50, perBlock: 150, blocks: 4 },
    ];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? svcs : [...svcs].reverse();
      for (const v of order) {
        const rows = await runRest(v.c, sock, { scale: `${v.name} round ${r}`, endpoints, levels }, log);
        for (const row of rows)
          out.push({
            variant: v.name,
            round: r,
            ep: row.endpoint,
            c: row.concurrency,
            s50: row.result.service.latency.p50,
            s99: row.result.service.latency.p99,
            d50: row.result.direct.latency.p50,
            d99: row.result.direct.latency.p99,
            srps: row.result.service.rps,
            drps: row.result.direct.rps,
            err: row.result.service.errors,
          });
      }
    }
    for (const v of svcs) {
      v.c.close();
      await v.s.stop();
    }
  } finally {
    sock.close();
    await engine.destroy();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  fs.writeFileSync(process.env.AB_OUT ?? '/tmp/truthb-ab.json', JSON.stringify(out, null, 1));
  for (const o of out as Record<string, number | string>[]) {
    const f = (x: unknown) => (x as number).toFixed(2);
    console.log(
      `${o.variant}\tr${o.round}\tc=${o.c}\t${o.ep}\tsvc p50 ${f(o.s50)} p99 ${f(o.s99)}\tdirect p50 ${f(o.d50)} p99 ${f(o.d99)}\tratio p50 ${f((o.s50 as number) / (o.d50 as number))} p99 ${f((o.s99 as number) / (o.d99 as number))}\trps ${Math.round(o.srps as number)}/${Math.round(o.drps as number)} err ${o.err}`,
    );
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
