import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DomainError } from '../../../src/domain/errors';
import type { ImageTransfer, PullTarget } from '../../../src/domain/images/image-transfer';
import type { Job } from '../../../src/domain/jobs/job';
import { JobService, type Clock, type JobServiceOptions } from '../../../src/domain/jobs/job-service';
import type { ProgressMessage } from '../../../src/domain/jobs/progress-message';
import { RegistryAllowlist, type RegistryStore } from '../../../src/domain/registries/registry';
import { asMessages } from '../../../src/engine/docker-image-transfer';

const fixtureFile = (name: string) => path.resolve(__dirname, '../../fixtures/pull-streams', `${name}.jsonl`);
const fixture = (name: string): ProgressMessage[] =>
  fs
    .readFileSync(fixtureFile(name), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ProgressMessage);

/** An engine stream the test feeds line by line; aborting the signal breaks it as a closed socket would. */
class FakeStream implements AsyncIterable<ProgressMessage> {
  private queue: (ProgressMessage | Error | 'end')[] = [];
  private wake: (() => void) | undefined;
  constructor(signal: AbortSignal) {
    signal.addEventListener('abort', () => this.push(new Error('aborted')));
  }
  push(item: ProgressMessage | Error | 'end'): void {
    this.queue.push(item);
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<ProgressMessage> {
    for (;;) {
      while (this.queue.length === 0) await new Promise<void>((r) => (this.wake = r));
      const item = this.queue.shift()!;
      if (item === 'end') return;
      if (item instanceof Error) throw item;
      yield item;
    }
  }
}

class FakeTransfer implements ImageTransfer {
  pulls: { target: PullTarget; signal: AbortSignal; stream: FakeStream }[] = [];
  present = true;
  async pull(target: PullTarget, _creds: unknown, signal: AbortSignal) {
    const stream = new FakeStream(signal);
    this.pulls.push({ target, signal, stream });
    return stream;
  }
  async push(): Promise<AsyncIterable<ProgressMessage>> {
    throw new Error('not used');
  }
  async isPresent() {
    return this.present;
  }
  async tag() {}
}

const noRegistries: RegistryStore = {
  list: async () => [],
  get: async () => undefined,
  credentials: async () => undefined,
  add: async () => {
    throw new Error('not used');
  },
  remove: async () => false,
};

const REG = '127.0.0.1:5055';
let now = 1_700_000_000_000;
const clock: Clock = { now: () => now };
const opts: JobServiceOptions = { finishedTtlMs: 60_000, maxFinished: 2, maxActive: 4, sweepIntervalMs: 0, stallTimeoutMs: 30_000 };
let transfer: FakeTransfer;
let jobs: JobService;
beforeEach(() => {
  transfer = new FakeTransfer();
  jobs = new JobService(transfer, noRegistries, new RegistryAllowlist([REG]), clock, opts);
});
afterEach(() => jobs.close());

const flush = () => new Promise((r) => setImmediate(r));
const start = (image = `${REG}/cold/x:1`, platform?: string) => jobs.startPull({ image, platform, createdBy: 'tester' });
const feed = async (i: number, lines: ProgressMessage[], end = true) => {
  await flush();
  for (const l of lines) transfer.pulls[i].stream.push(l);
  if (end) transfer.pulls[i].stream.push('end');
  await flush();
};

describe('job service', () => {
  test('when a recorded cold pull is replayed and the image is then present, then the job succeeds at exactly 100', async () => {
    const job = await start();
    const seen: Job[] = [];
    jobs.subscribe(job.id, (j) => seen.push(j));
    await feed(0, fixture('cold-pull'));
    const done = await jobs.wait(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.progress.percent).toBe(100);
    expect(done.status).toMatch(/^Downloaded newer image/);
    expect(seen[seen.length - 1].state).toBe('succeeded');
    for (let i = 1; i < seen.length; i++) expect(seen[i].progress.percent).toBeGreaterThanOrEqual(seen[i - 1].progress.percent);
  });

  test('when the recorded stream of a registry that died ends in an {error} line, then the job fails as registry_unreachable with the engine message', async () => {
    const job = await start();
    // Read as the engine adapter reads the engine's bytes, which is where the {error} line gets its code.
    const lines: ProgressMessage[] = [];
    for await (const m of asMessages(Readable.from([fs.readFileSync(fixtureFile('registry-cut-pull'))]))) lines.push(m);
    await feed(0, lines, false);
    const done = await jobs.wait(job.id);
    expect(done.state).toBe('failed');
    expect(done.error).toEqual({ code: 'registry_unreachable', message: 'dial tcp 127.0.0.1:5999: connect: connection refused' });
    expect(done.progress.layers.some((l) => l.state === 'retrying')).toBe(true);
    expect(done.progress.percent).toBeLessThan(100);
    expect(transfer.pulls[0].signal.aborted).toBe(true);
  });

  test('when an {error} line carries no code, then the job fails as engine_error with the engine message', async () => {
    const job = await start();
    await feed(
      0,
      [...fixture('cold-pull').slice(0, 6), { error: 'no space left on device', errorDetail: { message: 'no space left on device' } }],
      false,
    );
    const done = await jobs.wait(job.id);
    expect(done.error).toEqual({ code: 'engine_error', message: 'no space left on device' });
  });

  test('when the stream ends cleanly but the image is not there, then the job fails rather than succeeds', async () => {
    transfer.present = false;
    const job = await start();
    await feed(0, fixture('cold-pull'));
    const done = await jobs.wait(job.id);
    expect(done.state).toBe('failed');
    expect(done.error?.message).toMatch(/is not present/);
  });

  test('when the engine stream breaks mid-pull, then the job fails as engine_unavailable', async () => {
    const job = await start();
    await feed(0, fixture('cold-pull').slice(0, 6), false);
    transfer.pulls[0].stream.push(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    const done = await jobs.wait(job.id);
    expect(done.error?.code).toBe('engine_unavailable');
  });

  test('when the same reference is pulled twice while running, then both get one job and one engine pull; a new platform is another job', async () => {
    const a = await start(`${REG}/cold/x`);
    const b = await start(`${REG}/cold/x:latest`);
    expect(b.id).toBe(a.id);
    const c = await start(`${REG}/cold/x`, 'linux/arm64');
    expect(c.id).not.toBe(a.id);
    await flush();
    expect(transfer.pulls.map((p) => p.target)).toEqual([
      { name: `${REG}/cold/x`, tagOrDigest: 'latest' },
      { name: `${REG}/cold/x`, tagOrDigest: 'latest', platform: 'linux/arm64' },
    ]);
  });

  test('when a job is cancelled, then the engine stream is aborted and the job ends cancelled; cancelling again is a conflict', async () => {
    const job = await start();
    await feed(0, fixture('cold-pull').slice(0, 8), false);
    const done = await jobs.cancel(job.id, 'operator');
    expect(done.state).toBe('cancelled');
    expect(transfer.pulls[0].signal.aborted).toBe(true);
    await expect(jobs.cancel(job.id, 'operator')).rejects.toMatchObject({ code: 'conflict' });
  });

  test('when a viewer cancels a pull, then it is forbidden (only a role that may start a pull may cancel one) and the job runs on', async () => {
    const job = await start();
    await feed(0, fixture('cold-pull').slice(0, 8), false);
    await expect(jobs.cancel(job.id, 'viewer')).rejects.toMatchObject({ code: 'forbidden' });
    expect(jobs.get(job.id)?.state).toBe('running');
    expect(transfer.pulls[0].signal.aborted).toBe(false);
  });

  test('when nothing but retry countdowns arrive for the stall timeout, then the job fails as registry_unreachable', async () => {
    const job = await start();
    await feed(0, fixture('registry-cut-pull').slice(0, 20), false);
    now += 10_000;
    transfer.pulls[0].stream.push({ status: 'Retrying in 5 seconds', id: '5d6c8a3ac83f', progressDetail: {} });
    await flush();
    jobs.checkStalls();
    expect(jobs.get(job.id)?.state).toBe('running');
    now += 25_000;
    jobs.checkStalls();
    const done = await jobs.wait(job.id);
    expect(done.error?.code).toBe('registry_unreachable');
    expect(done.error?.message).toMatch(/Retrying in 5 seconds/);
    expect(transfer.pulls[0].signal.aborted).toBe(true);
  });

  test('when a registry is not allowed, then it throws registry_not_allowed and the engine is never called', async () => {
    await expect(start('evil.example.com/x:1')).rejects.toMatchObject({ code: 'registry_not_allowed' });
    expect(transfer.pulls).toHaveLength(0);
  });

  test('when pullAndWait ends in failure, then it throws the job error with the job id', async () => {
    const p = jobs.pullAndWait(`${REG}/cold/x:1`, { createdBy: 'containers' }).catch((e: unknown) => e);
    await feed(0, [{ errorDetail: { message: 'boom' }, error: 'boom' }], false);
    const err = (await p) as DomainError;
    expect(err).toBeInstanceOf(DomainError);
    expect(err.code).toBe('engine_error');
    expect(err.details?.jobId).toEqual(expect.any(String));
  });

  test('when more jobs finish than the bound, or they age past the ttl, then the oldest are forgotten', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const job = await start(`${REG}/cold/x:${i}`);
      ids.push(job.id);
      await feed(i, fixture('up-to-date-pull'));
      await jobs.wait(job.id);
    }
    expect(jobs.get(ids[0])).toBeUndefined();
    expect(jobs.list().map((j) => j.id)).toEqual([ids[2], ids[1]]);
    now += 61_000;
    expect(jobs.list()).toEqual([]);
  });
});
