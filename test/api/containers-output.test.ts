import { auth, startService, type TestService } from '../helpers/service';
import { containerRun } from '../helpers/containers';
import { seed } from '../../support/test-env';

let svc: TestService;
const run = containerRun('output');
const plain = run.name('plain');
const tty = run.name('tty');

const create = (name: string, extra: Record<string, unknown>) =>
  svc.http
    .post('/api/v1/containers')
    .set(auth('admin'))
    .send({ image: seed.web143(), name, labels: run.labels, ...extra });

/** Waits until the container has written `n` log lines (its script runs right after start). */
async function logsOf(name: string, query: Record<string, unknown>, atLeast: number) {
  for (let i = 0; ; i++) {
    const res = await svc.http.get(`/api/v1/containers/${name}/logs`).query(query).set(auth('viewer'));
    if (res.status !== 200 || res.body.lines.length >= atLeast || i > 40) return res;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  svc = await startService();
  const script = 'echo out-1; echo err-1 >&2; echo out-2; sleep 600';
  expect((await create(plain, { entrypoint: ['sh', '-c', script] })).status).toBe(201);
  expect((await create(tty, { entrypoint: ['sh', '-c', 'echo tty-line-1; echo tty-err >&2; sleep 600'], tty: true, openStdin: true })).status).toBe(
    201,
  );
});
afterAll(async () => {
  await run.cleanup();
  await svc.close();
});

describe('logs', () => {
  test('when a container writes to stdout and stderr, then the lines come back separated by stream', async () => {
    const res = await logsOf(plain, {}, 3);
    expect(res.status).toBe(200);
    expect(res.body.tty).toBe(false);
    expect(res.body.truncated).toBe(false);
    const lines = res.body.lines.map((l: { stream: string; line: string }) => `${l.stream}:${l.line}`);
    expect(lines.filter((l: string) => l.startsWith('stdout:'))).toEqual(['stdout:out-1', 'stdout:out-2']);
    expect(lines.filter((l: string) => l.startsWith('stderr:'))).toEqual(['stderr:err-1']);
    expect(res.body.lines.every((l: { timestamp: unknown }) => l.timestamp === null)).toBe(true);
  });

  test('when only stderr is asked for, with timestamps, then only its line comes, with a timestamp', async () => {
    const res = await logsOf(plain, { stdout: false, timestamps: true }, 1);
    expect(res.body.lines).toHaveLength(1);
    expect(res.body.lines[0]).toMatchObject({ stream: 'stderr', line: 'err-1' });
    expect(res.body.lines[0].timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
  });

  test('when tail is 1 or 0, then that many of the newest lines come', async () => {
    await logsOf(plain, {}, 3);
    const one = await logsOf(plain, { tail: 1 }, 1);
    expect(one.body.lines).toHaveLength(1);
    // stdout and stderr are copied to the log concurrently, so which of out-2 / err-1 is last is not fixed.
    expect(['out-2', 'err-1']).toContain(one.body.lines[0].line);
    const none = await logsOf(plain, { tail: 0 }, 0);
    expect(none.body.lines).toEqual([]);
  });

  test('when tail is above the cap or both streams are off, then 400', async () => {
    expect((await svc.http.get(`/api/v1/containers/${plain}/logs`).query({ tail: 10001 }).set(auth('viewer'))).status).toBe(400);
    expect((await svc.http.get(`/api/v1/containers/${plain}/logs`).query({ stdout: false, stderr: false }).set(auth('viewer'))).status).toBe(400);
  });

  test('when the container has a TTY, then its output (stderr included) is one stdout stream without carriage returns', async () => {
    const res = await logsOf(tty, {}, 2);
    expect(res.body.tty).toBe(true);
    expect(res.body.lines).toEqual([
      { stream: 'stdout', timestamp: null, line: 'tty-line-1' },
      { stream: 'stdout', timestamp: null, line: 'tty-err' },
    ]);
  });

  test('when the container does not exist, then 404', async () => {
    expect((await svc.http.get(`/api/v1/containers/${run.name('none')}/logs`).set(auth('viewer'))).status).toBe(404);
  });
});

describe('stats', () => {
  test('when a running container is sampled, then memory usage and limit, pids and a cpu percent come back', async () => {
    const res = await svc.http.get(`/api/v1/containers/${plain}/stats`).set(auth('viewer'));
    expect(res.status).toBe(200);
    expect(res.body.memoryLimit).toBeGreaterThan(0);
    expect(res.body.memoryUsage).toBeGreaterThan(0);
    expect(res.body.memoryUsage).toBeLessThan(res.body.memoryLimit);
    expect(res.body.pids).toBeGreaterThanOrEqual(1);
    expect(res.body.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(res.body.onlineCpus).toBeGreaterThanOrEqual(1);
    expect(Math.abs(Date.parse(res.body.read) - Date.now())).toBeLessThan(60_000);
  });

  test('when the container does not exist, then 404 container_not_found', async () => {
    const res = await svc.http.get(`/api/v1/containers/${run.name('none')}/stats`).set(auth('viewer'));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('container_not_found');
  });
});
