import { DockerContainerStreams } from '../../src/engine/docker-container-streams';
import { createDockerClients } from '../../src/engine/docker-client';
import type { LogLine, StatsSample } from '../../src/domain/containers/container-streams';
import { isDomainError } from '../../src/domain/errors';
import { containerRun, engine } from '../helpers/containers';
import { testConfig } from '../helpers/service';
import { seed } from '../../support/test-env';

const run = containerRun('streams');
const streams = new DockerContainerStreams(createDockerClients(testConfig().engine, 10_000).streaming, 10_000);

async function start(name: string, script: string, tty = false): Promise<string> {
  const c = await engine().createContainer({ name, Image: seed.web143(), Entrypoint: ['sh', '-c', script], Labels: run.labels, Tty: tty });
  await c.start();
  return c.id;
}

afterAll(async () => {
  await run.cleanup();
});

describe('DockerContainerStreams.followLogs', () => {
  test('when following a container until it exits, then every line arrives with stream and timestamp and the stream ends', async () => {
    const id = await start(run.name('follow'), 'for i in 1 2 3; do echo line-$i; sleep 0.2; done; echo bye >&2');
    const got: LogLine[] = [];
    for await (const l of await streams.followLogs(id, {})) got.push(l);
    expect(got.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['line-1', 'line-2', 'line-3']);
    expect(got.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(['bye']);
    expect(got.every((l) => l.timestamp !== null && !Number.isNaN(Date.parse(l.timestamp)))).toBe(true);
  }, 15_000);

  test('when following a TTY container, then its raw output arrives as stdout lines', async () => {
    const id = await start(run.name('follow-tty'), 'echo tty-a; echo tty-b', true);
    const got: string[] = [];
    for await (const l of await streams.followLogs(id, {})) got.push(`${l.stream}:${l.line}`);
    expect(got).toEqual(['stdout:tty-a', 'stdout:tty-b']);
  }, 15_000);

  test('when closed while waiting for output, then the iteration ends at once and the container keeps running', async () => {
    const name = run.name('quiet');
    const id = await start(name, 'echo hello; sleep 600');
    const live = await streams.followLogs(id, { tail: 10 });
    const it = live[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ line: 'hello' });
    const pending = it.next();
    live.close();
    await expect(pending).resolves.toMatchObject({ done: true });
    expect((await engine().getContainer(id).inspect()).State.Running).toBe(true);
  }, 15_000);

  test('when the container does not exist or the name is malformed, then container_not_found / invalid_identifier', async () => {
    await expect(streams.followLogs(run.name('missing'), {})).rejects.toMatchObject({ code: 'container_not_found' });
    const err = await streams.followLogs('../images/json?', {}).catch((e: unknown) => e);
    expect(isDomainError(err) && err.code).toBe('invalid_identifier');
  });
});

describe('DockerContainerStreams.streamStats', () => {
  test('when streaming stats of a running container, then samples arrive with a memory limit and the second has a cpu figure', async () => {
    const id = await start(run.name('stats'), 'while true; do :; done');
    const live = await streams.streamStats(id);
    const samples: StatsSample[] = [];
    for await (const s of live) {
      samples.push(s);
      if (samples.length === 2) break;
    }
    live.close();
    expect(samples[1].memoryLimit).toBeGreaterThan(0);
    expect(samples[1].pids).toBeGreaterThanOrEqual(1);
    // A busy loop: once there is a previous reading, the CPU share is clearly above zero.
    expect(samples[1].cpuPercent).toBeGreaterThan(1);
  }, 15_000);
});
