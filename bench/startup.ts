import { startServiceProcess, type ServiceOptions } from './lib/service-process';
import { median } from './lib/stats';

export interface StartupResult {
  runs: number[];
  medianMs: number;
  maxMs: number;
}

/** Process start (spawn of `node dist/main.js`) to the first `/readyz` 200, several fresh processes. */
export async function runStartup(o: ServiceOptions & { reps: number; log: (s: string) => void }): Promise<StartupResult> {
  const runs: number[] = [];
  for (let i = 0; i < o.reps; i++) {
    const svc = await startServiceProcess(o);
    runs.push(svc.readyMs);
    await svc.stop();
  }
  const r = { runs, medianMs: median(runs), maxMs: Math.max(...runs) };
  o.log(`start-up: ${runs.map((x) => x.toFixed(0)).join(', ')} ms`);
  return r;
}
