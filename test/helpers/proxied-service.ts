import type { Logger } from 'pino';
import { startEngineProxy, type EngineProxy } from './engine-proxy';
import { startService, type TestService } from './service';
import { testEnv } from '../../support/test-env';

export interface ProxiedService {
  svc: TestService;
  /** Every engine call the service made, recorded (see engine-proxy.ts). */
  engine: EngineProxy;
  /** Runs `fn` and returns what it returned with the engine calls made meanwhile. */
  calls<T>(fn: () => Promise<T>): Promise<{ result: T; calls: EngineProxy['requests'] }>;
  close(): Promise<void>;
}

/**
 * The test service (startService) with a recording proxy between it and the engine (the shared isolated one unless
 * `engineSocket` says otherwise), so a test can assert how many and which engine calls a request made.
 */
export async function startProxiedService(
  env: Record<string, string> = {},
  opts: { engineSocket?: string; logger?: Logger } = {},
): Promise<ProxiedService> {
  const engine = await startEngineProxy(opts.engineSocket ?? testEnv().socketPath);
  const svc = await startService({ ...env, DOCKER_HOST: engine.dockerHost }, { logger: opts.logger });
  return {
    svc,
    engine,
    calls: async (fn) => {
      const mark = engine.mark();
      const result = await fn();
      return { result, calls: engine.since(mark) };
    },
    close: async () => {
      await svc.close();
      await engine.close();
    },
  };
}
