import { auth, startService, type TestService } from '../helpers/service';
import { containerRun, engine } from '../helpers/containers';
import { seed } from '../../support/test-env';

/**
 * A container whose PID 1 ignores SIGTERM (`sh -c 'sleep 600'`: a shell as PID 1 has no SIGTERM handler, and the
 * kernel does not apply default actions to PID 1) makes the engine answer stop and restart only after the whole
 * grace period. The service's engine budget must include that period: here ENGINE_TIMEOUT_MS is 3 s, shorter than
 * every grace period used, so a budget without the grace would answer 504.
 */
jest.setTimeout(90000);

let svc: TestService;
const run = containerRun('grace');
const ENGINE_TIMEOUT_MS = 3000;

beforeAll(async () => {
  svc = await startService({ ENGINE_TIMEOUT_MS: String(ENGINE_TIMEOUT_MS) });
});
afterAll(async () => {
  await run.cleanup();
  await svc.close();
});

/** A running container that ignores SIGTERM, with the engine's StopTimeout given (or the engine's default). */
async function stubborn(what: string, stopTimeout?: number): Promise<string> {
  const c = await engine().createContainer({
    name: run.name(what),
    Image: seed.base(),
    Entrypoint: ['/bin/sh', '-c', 'sleep 600'],
    Labels: run.labels,
    ...(stopTimeout === undefined ? {} : { StopTimeout: stopTimeout }),
    HostConfig: { NetworkMode: 'none' },
  });
  await c.start();
  return c.id;
}

const act = (id: string, action: string, query: Record<string, number> = {}) =>
  svc.http.post(`/api/v1/containers/${id}/${action}`).query(query).set(auth('operator'));

const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
};

const state = async (id: string) => (await engine().getContainer(id).inspect()).State;

describe('stop and restart wait out the grace period the engine uses', () => {
  test('when stop names no timeout and the container has none, then the engine default (10 s) is waited out, not answered 504', async () => {
    const id = await stubborn('default');
    const { value: res, ms } = await timed(() => act(id, 'stop'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: true, state: { running: false } });
    // The engine waited its 10 s default before SIGKILL (137): longer than ENGINE_TIMEOUT_MS alone.
    expect(ms).toBeGreaterThanOrEqual(9000);
    expect((await state(id)).ExitCode).toBe(137);
  });

  test("when stop names no timeout, then the container's own StopTimeout is the grace period", async () => {
    const id = await stubborn('own', 5);
    const { value: res, ms } = await timed(() => act(id, 'stop'));
    expect(res.status).toBe(200);
    expect(res.body.changed).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(4000);
    expect((await state(id)).Running).toBe(false);
  });

  test('when stop names a timeout longer than the engine budget, then it is waited out', async () => {
    const id = await stubborn('asked', 1);
    const { value: res, ms } = await timed(() => act(id, 'stop', { timeout: 4 }));
    expect(res.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(3500);
    expect((await state(id)).Running).toBe(false);
  });

  test("when restart names no timeout, then the container's StopTimeout is waited out and it runs again", async () => {
    const id = await stubborn('restart', 4);
    const before = (await state(id)).StartedAt;
    const { value: res, ms } = await timed(() => act(id, 'restart'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: true, state: { running: true } });
    expect(ms).toBeGreaterThanOrEqual(3500);
    expect((await state(id)).StartedAt).not.toBe(before);
  });

  test('when restart names a timeout, then that is the grace period', async () => {
    const id = await stubborn('restart-t', 30);
    const { value: res, ms } = await timed(() => act(id, 'restart', { timeout: 4 }));
    expect(res.status).toBe(200);
    expect(res.body.state.running).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(3500);
    // Far below the container's own 30 s: the request's timeout won.
    expect(ms).toBeLessThan(25000);
  });
});

describe('calls that do not wait for a grace period', () => {
  test('when a running container that ignores SIGTERM is removed with force, then it is killed at once, not after its StopTimeout', async () => {
    const id = await stubborn('rm', 30);
    const { value: res, ms } = await timed(() => svc.http.delete(`/api/v1/containers/${id}`).query({ force: true }).set(auth('admin')));
    expect(res.status).toBe(204);
    expect(ms).toBeLessThan(20000);
    await expect(engine().getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  test('when it is sent SIGTERM, then kill answers once the signal is delivered and the container goes on running', async () => {
    const id = await stubborn('kill', 30);
    const res = await svc.http.post(`/api/v1/containers/${id}/kill`).query({ signal: 'SIGTERM' }).set(auth('operator'));
    expect(res.status).toBe(200);
    expect((await state(id)).Running).toBe(true);
    // Then a stop with a short timeout ends it with SIGKILL, inside its budget.
    const stopped = await act(id, 'stop', { timeout: 1 });
    expect(stopped.status).toBe(200);
    expect((await state(id)).ExitCode).toBe(137);
  });
});
