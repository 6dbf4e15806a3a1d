import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import type { Job } from '../../../src/domain/jobs/job';
import type { ServerFrame } from '../../../src/ws/protocol';
import { auth, startService, type TestService } from '../../helpers/service';
import { coldImage, seed, testEnv } from '../../../support/test-env';
import { connectWs, type TestSocket } from '../../helpers/ws';

jest.setTimeout(30000);

const run = randomBytes(4).toString('hex');
let svc: TestService;
let docker: Docker;
const sockets: TestSocket[] = [];
const created: string[] = [];

const open = async () => {
  const s = await connectWs(svc.wsUrl, 'viewer');
  sockets.push(s);
  return s;
};

async function ensureImage(ref: string): Promise<void> {
  try {
    await docker.getImage(ref).inspect();
  } catch {
    const stream = await docker.pull(ref);
    await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve(undefined))));
  }
}

async function runContainer(suffix: string, cmd: string): Promise<Docker.Container> {
  const c = await docker.createContainer({
    name: `ws-${run}-${suffix}`,
    Image: seed.web143(),
    Entrypoint: ['/bin/sh', '-c', cmd],
    Labels: { 'dockhand.test': 'ws' },
    HostConfig: { NetworkMode: 'none' },
  });
  created.push(c.id);
  await c.start();
  return c;
}

beforeAll(async () => {
  svc = await startService();
  docker = new Docker({ socketPath: testEnv().socketPath });
  await ensureImage(seed.web143());
});
afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  await Promise.all(
    created.map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  await docker
    .getImage(coldImage('d', '1'))
    .remove({ force: true })
    .catch(() => undefined);
  await svc.close();
});

describe('job channel', () => {
  test('when a real pull is followed, then percent only rises to 100, layers have states, and the final frame ends it', async () => {
    await docker
      .getImage(coldImage('d', '1'))
      .remove({ force: true })
      .catch(() => undefined);
    const s = await open();
    const res = await svc.http
      .post('/api/v1/images/pull')
      .set(auth('operator'))
      .send({ image: coldImage('d', '1') });
    expect(res.status).toBe(202);
    const jobId = res.body.id as string;
    s.send({ type: 'subscribe', id: 'pull', channel: 'job', jobId });
    const end = await s.waitFor((f) => f.id === 'pull' && (f.type === 'end' || f.type === 'error'), 20000);
    expect(end.type).toBe('end');
    expect(end.data).toEqual({ reason: 'succeeded' });
    const frames = s.frames.filter((f) => f.id === 'pull');
    expect(frames[0].type).toBe('subscribed');
    const progress = frames.filter((f) => f.type === 'progress') as ServerFrame<Job>[];
    const percents = progress.map((f) => f.data.progress.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    console.log(`pull of ${coldImage('d', '1')}: ${progress.length} progress frames, percents ${percents.map((p) => Math.round(p)).join(' ')}`);
    const final = progress[progress.length - 1].data;
    expect(final.state).toBe('succeeded');
    expect(final.progress.percent).toBe(100);
    expect(final.progress.layers.length).toBeGreaterThanOrEqual(2);
    expect(final.progress.layers.every((l) => l.state === 'complete' || l.state === 'already_present')).toBe(true);
    const seqs = frames.map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await docker.getImage(coldImage('d', '1')).inspect(); // the engine really has it

    // A finished job answers its final state at once.
    s.send({ type: 'subscribe', id: 'again', channel: 'job', jobId });
    await s.waitFor((f) => f.id === 'again' && f.type === 'end');
    const again = s.frames.filter((f) => f.id === 'again').map((f) => f.type);
    expect(again).toEqual(['subscribed', 'progress', 'end']);
  });

  test('when the job does not exist, then an error frame job_not_found', async () => {
    const s = await open();
    s.send({ type: 'subscribe', id: 'nojob', channel: 'job', jobId: '123e4567-e89b-12d3-a456-426614174000' });
    const f = await s.waitFor((x) => x.id === 'nojob');
    expect(f.type).toBe('error');
    expect((f.data as { code: string }).code).toBe('job_not_found');
  });
});

describe('logs channel', () => {
  test('when a container writes to stdout and stderr then exits, then lines arrive demultiplexed and an end frame follows', async () => {
    const c = await runContainer('logs', 'echo out-one; echo err-one >&2; sleep 1; echo out-two');
    const s = await open();
    s.send({ type: 'subscribe', id: 'l', channel: 'logs', container: c.id, since: 0 });
    const end = await s.waitFor((f) => f.id === 'l' && (f.type === 'end' || f.type === 'error'), 15000);
    expect(end).toMatchObject({ type: 'end', data: { reason: 'container_stopped' } });
    const lines = s.frames.filter((f) => f.id === 'l' && f.type === 'log').map((f) => f.data as { stream: string; line: string; timestamp: string });
    expect(lines.map((l) => `${l.stream}:${l.line}`)).toEqual(expect.arrayContaining(['stdout:out-one', 'stderr:err-one', 'stdout:out-two']));
    expect(lines.every((l) => typeof l.timestamp === 'string')).toBe(true);
  });

  test('when the container does not exist, then an error frame container_not_found', async () => {
    const s = await open();
    s.send({ type: 'subscribe', id: 'nol', channel: 'logs', container: `ws-${run}-missing` });
    const f = await s.waitFor((x) => x.id === 'nol');
    expect(f.type).toBe('error');
    expect((f.data as { code: string }).code).toBe('container_not_found');
  });
});

describe('stats channel', () => {
  test('when a running container is watched, then samples come periodically until unsubscribed', async () => {
    const c = await runContainer('stats', 'sleep 60');
    const s = await open();
    s.send({ type: 'subscribe', id: 'st', channel: 'stats', container: c.id, interval: 1 });
    await s.waitFor(() => s.frames.filter((f) => f.id === 'st' && f.type === 'stats').length >= 2, 10000);
    const samples = s.frames
      .filter((f) => f.id === 'st' && f.type === 'stats')
      .map((f) => f.data as { cpuPercent: number; memoryUsage: number; read: string });
    expect(samples[0].memoryUsage).toBeGreaterThan(0);
    expect(typeof samples[0].cpuPercent).toBe('number');
    expect(Date.parse(samples[1].read)).toBeGreaterThan(Date.parse(samples[0].read));
    s.send({ type: 'unsubscribe', id: 'st' });
    await s.waitFor((f) => f.id === 'st' && f.type === 'end');
  });
});
