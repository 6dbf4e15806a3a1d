import pino from 'pino';
import { appPipeline, buildApp, type PipelineStage } from '../../src/app';
import { containerReads } from '../../src/http/routes/containers';
import { imageReads } from '../../src/http/routes/images';
import { wire, type Wired } from '../../src/wiring';
import { testConfig } from '../helpers/service';

/**
 * The fast read path answers three reads before Express. These tests fail when the Express pipeline gains a step
 * the fast path neither runs nor declares as not applying to its requests.
 */
let services: Wired;
let pipeline: PipelineStage[];
beforeAll(() => {
  services = wire(testConfig(), pino({ level: 'silent' }));
  pipeline = appPipeline(
    services,
    { onOperation: () => undefined },
    { images: imageReads(services.images), containers: containerReads(services.containers, services.containerUpdates) },
  );
});
afterAll(async () => {
  await services.close();
});

interface Layer {
  route?: unknown;
  handle: { stack?: Layer[] };
}

describe('one pipeline for both paths', () => {
  test('when the pipeline is defined, then every stage says what the fast read path does with it, with a reason when it does not run it', () => {
    for (const stage of pipeline) {
      expect(['runs', 'same-work', 'skipped']).toContain(stage.fastPath);
      if (stage.fastPath === 'skipped') expect(stage.why.length).toBeGreaterThan(10);
      if (stage.fastPath === 'same-work') expect(stage.how.length).toBeGreaterThan(10);
    }
    // The list a reviewer reads when one is added: a new stage changes it, and must be decided on.
    expect(pipeline.map((s) => `${s.name}: ${s.fastPath}`)).toEqual([
      'access log: runs',
      'request metrics: runs',
      'operation recorder: runs',
      'audit trail: skipped',
      'authentication gate: same-work',
      'JSON body: skipped',
      'web console: skipped',
      'contract validator: same-work',
      'unexpected body: same-work',
      'engine scope: same-work',
      'rate limits: skipped',
      'docs: skipped',
      'metrics: skipped',
      'health: skipped',
      'API routes: same-work',
      'not found: skipped',
      'error handler: same-work',
    ]);
  });

  test('when the app is built, then it mounts the pipeline and nothing else (buildApp refuses an app with other layers)', () => {
    expect(() => buildApp(services)).not.toThrow();
  });

  test('when the API routers are mounted, then they hold routes only: a middleware inside them would run on the full path alone', () => {
    const api = pipeline.find((s) => s.name === 'API routes')!.handler as unknown as { stack: Layer[] };
    expect(api.stack.length).toBeGreaterThan(0);
    for (const router of api.stack) {
      // Each entry is one resource's router (a router keeps its layers on `stack`)…
      expect(Array.isArray(router.handle.stack)).toBe(true);
      // …whose entries are routes (router.get(path, …)), never router.use(middleware).
      for (const layer of router.handle.stack ?? []) expect(layer.route).toBeDefined();
    }
  });
});
