import { auth, startService, type TestService } from '../../helpers/service';
import { seed } from '../../../support/test-env';
import { connectWs, type TestSocket } from '../../helpers/ws';
import { printed, terminalRun, typeIn, waitForOutput } from './terminal-helpers';

jest.setTimeout(30000);

const t = terminalRun('attach');
let svc: TestService;
const sockets: TestSocket[] = [];

const open = async (role: 'admin' | 'operator' = 'admin') => {
  const s = await connectWs(svc.wsUrl, role);
  sockets.push(s);
  return s;
};
const running = async (id: string) => (await t.docker.getContainer(id).inspect()).State.Running;

/** `docker run -it … sh` through the API: create with tty and openStdin, then start. */
async function runIt(what: string): Promise<string> {
  const created = await svc.http
    .post('/api/v1/containers')
    .set(auth('admin'))
    .send({ image: seed.base(), name: t.name(what), cmd: ['sh'], tty: true, openStdin: true, labels: t.labels, network: 'none' });
  expect(created.status).toBe(201);
  expect((await svc.http.post(`/api/v1/containers/${created.body.id}/start`).set(auth('operator'))).status).toBe(200);
  return created.body.id as string;
}

beforeAll(async () => {
  svc = await startService();
  await t.ensureBase();
});
afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  await t.cleanup();
  await svc.close();
});

describe('attach', () => {
  test('when an admin attaches to an -it container and types, then the output shows; detaching leaves it running', async () => {
    const id = await runIt('it');
    const s = await open();
    s.send({ type: 'subscribe', id: 'a', channel: 'attach', container: t.name('it') });
    expect((await s.waitFor((f) => f.id === 'a')).data).toMatchObject({
      channel: 'attach',
      container: id,
      name: t.name('it'),
      tty: true,
      encoding: 'utf8',
    });
    typeIn(s, 'a', 'echo attached-$((6*7))\n');
    await waitForOutput(s, 'a', 'attached-42');
    s.send({ type: 'unsubscribe', id: 'a' });
    expect((await s.waitFor((f) => f.id === 'a' && f.type === 'end')).data).toEqual({ reason: 'unsubscribed' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await running(id)).toBe(true);

    // Attach again, then drop the whole socket: still running, and what was typed before is still in its shell.
    const again = await open();
    again.send({ type: 'subscribe', id: 'b', channel: 'attach', container: id });
    await again.waitFor((f) => f.id === 'b' && f.type === 'subscribed');
    typeIn(again, 'b', 'echo second-$((2+3))\n');
    await waitForOutput(again, 'b', 'second-5');
    again.ws.terminate();
    await again.closed;
    await new Promise((r) => setTimeout(r, 300));
    expect(await running(id)).toBe(true);
  });

  test('when the attached terminal is resized, then the container sees the new size', async () => {
    const id = await runIt('resize');
    const s = await open();
    s.send({ type: 'subscribe', id: 'r', channel: 'attach', container: id, cols: 90, rows: 30 });
    await s.waitFor((f) => f.id === 'r' && f.type === 'subscribed');
    typeIn(s, 'r', 'busybox stty size\n');
    await waitForOutput(s, 'r', '30 90');
    s.send({ type: 'resize', id: 'r', cols: 120, rows: 40 });
    await new Promise((r) => setTimeout(r, 100));
    typeIn(s, 'r', 'busybox stty size\n');
    await waitForOutput(s, 'r', '40 120');
  });

  test('when the shell in the container exits, then end says container_stopped with its exit code', async () => {
    const id = await runIt('exit');
    const s = await open();
    s.send({ type: 'subscribe', id: 'x', channel: 'attach', container: id });
    await s.waitFor((f) => f.id === 'x' && f.type === 'subscribed');
    typeIn(s, 'x', 'exit 5\n');
    const end = await s.waitFor((f) => f.id === 'x' && (f.type === 'end' || f.type === 'error'));
    expect(end.data).toEqual({ reason: 'container_stopped', exitCode: 5 });
    expect(await running(id)).toBe(false);
  });

  test('when the container has no open stdin or is stopped, then a clear error frame', async () => {
    const plain = await t.docker.createContainer({
      name: t.name('plain'),
      Image: seed.base(),
      Cmd: ['sleep', '60'],
      Labels: t.labels,
      HostConfig: { NetworkMode: 'none' },
    });
    const stopped = await t.docker.createContainer({
      name: t.name('stopped'),
      Image: seed.base(),
      Cmd: ['sh'],
      Tty: true,
      OpenStdin: true,
      Labels: t.labels,
    });
    await plain.start();
    const s = await open();
    s.send({ type: 'subscribe', id: 'p', channel: 'attach', container: plain.id });
    s.send({ type: 'subscribe', id: 'st', channel: 'attach', container: stopped.id });
    s.send({ type: 'subscribe', id: 'no', channel: 'attach', container: t.name('missing') });
    expect((await s.waitFor((f) => f.id === 'p')).data).toMatchObject({ code: 'conflict' });
    expect((await s.waitFor((f) => f.id === 'st')).data).toMatchObject({ code: 'container_not_running' });
    expect((await s.waitFor((f) => f.id === 'no')).data).toMatchObject({ code: 'container_not_found' });
  });

  test('when an operator token attaches, then forbidden and nothing reaches the container', async () => {
    const id = await runIt('op');
    const s = await open('operator');
    s.send({ type: 'subscribe', id: 'op', channel: 'attach', container: id });
    expect((await s.waitFor((f) => f.id === 'op')).data).toMatchObject({ code: 'forbidden' });
    s.send({ type: 'stdin', id: 'op', data: 'touch /pwned\n' });
    await s.waitFor((f) => f.id === null && (f.data as { code: string }).code === 'not_found');
    const check = await svc.http
      .post(`/api/v1/containers/${id}/exec?wait=true`)
      .set(auth('admin'))
      .send({ cmd: ['ls', '/pwned'] });
    expect(check.body.exitCode).not.toBe(0);
    expect(printed(s, 'op')).toBe('');
  });
});
