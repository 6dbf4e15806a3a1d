import type Docker from 'dockerode';
import WebSocket from 'ws';
import { DockhandWsClient, type WebSocketLike } from '../../../src/client/ws-client';
import { TOKENS } from '../../helpers/service';
import { auth, startService, type TestService } from '../../helpers/service';
import { connectWs, type TestSocket } from '../../helpers/ws';
import { printed, terminalRun, typeIn, waitForOutput } from './terminal-helpers';

jest.setTimeout(30000);

const t = terminalRun('exec');
let svc: TestService;
let box: Docker.Container;
const sockets: TestSocket[] = [];

const open = async (role: 'admin' | 'operator' | 'viewer' = 'admin') => {
  const s = await connectWs(svc.wsUrl, role);
  sockets.push(s);
  return s;
};
const createExec = (body: Record<string, unknown>, role: 'admin' | 'operator' | 'viewer' = 'admin') =>
  svc.http.post(`/api/v1/containers/${box.id}/exec`).set(auth(role)).send(body);
const runNow = (body: Record<string, unknown>, query = 'wait=true') =>
  svc.http.post(`/api/v1/containers/${box.id}/exec?${query}`).set(auth('admin')).send(body);
const sizeRw = async () => {
  const res = await svc.http
    .get(`/api/v1/containers?size=true&all=true&label=dockhand.test.run%3D${t.labels['dockhand.test.run']}`)
    .set(auth('viewer'));
  return (res.body.items as { id: string; sizeRw: number }[]).find((c) => c.id === box.id)!.sizeRw;
};

beforeAll(async () => {
  svc = await startService();
  await t.ensureBase();
  box = await t.interactive('box');
});
afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  await t.cleanup();
  await svc.close();
});

describe('exec session over the WebSocket', () => {
  test('when an admin runs sh with a TTY, types a write to /file.txt and exit, then the exit code ends it and the container grew', async () => {
    const before = await sizeRw();
    const created = await createExec({ cmd: ['sh'], tty: true });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/api/v1/exec/${created.body.execId}`);
    expect(created.body).toMatchObject({ containerId: box.id, running: false, exitCode: null, tty: true, openStdin: true, cmd: ['sh'], pid: 0 });

    const s = await open();
    s.send({ type: 'subscribe', id: 'sh', channel: 'exec', execId: created.body.execId });
    const subscribed = await s.waitFor((f) => f.id === 'sh');
    expect(subscribed).toMatchObject({ type: 'subscribed', data: { channel: 'exec', execId: created.body.execId, tty: true, encoding: 'utf8' } });
    await waitForOutput(s, 'sh', '# ');
    typeIn(s, 'sh', 'echo 00000000000000000 > /file.txt\n');
    typeIn(s, 'sh', 'exit\n');
    const end = await s.waitFor((f) => f.id === 'sh' && (f.type === 'end' || f.type === 'error'));
    expect(end).toMatchObject({ type: 'end', data: { reason: 'exited', exitCode: 0 } });

    const file = await runNow({ cmd: ['cat', '/file.txt'] });
    expect(file.body).toMatchObject({ exitCode: 0, stdout: '00000000000000000\n' });
    expect(await sizeRw()).toBeGreaterThan(before);
    const after = await svc.http.get(`/api/v1/exec/${created.body.execId}`).set(auth('admin'));
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ running: false, exitCode: 0 });
    expect(after.body.pid).toBeGreaterThan(0);

    // An exec runs once.
    s.send({ type: 'subscribe', id: 'again', channel: 'exec', execId: created.body.execId });
    expect((await s.waitFor((f) => f.id === 'again')).data).toMatchObject({ code: 'conflict' });
  });

  test('when the terminal is resized (on subscribe and later), then the process sees the new rows and columns', async () => {
    const created = await createExec({ cmd: ['sh'], tty: true });
    const s = await open();
    s.send({ type: 'subscribe', id: 'rs', channel: 'exec', execId: created.body.execId, cols: 101, rows: 33 });
    await waitForOutput(s, 'rs', '# ');
    typeIn(s, 'rs', 'busybox stty size\n');
    await waitForOutput(s, 'rs', '33 101');
    s.send({ type: 'resize', id: 'rs', cols: 132, rows: 43 });
    typeIn(s, 'rs', 'busybox stty size; exit 4\n');
    await waitForOutput(s, 'rs', '43 132');
    expect((await s.waitFor((f) => f.id === 'rs' && f.type === 'end')).data).toEqual({ reason: 'exited', exitCode: 4 });
  });

  test('when there is no TTY, then stdout and stderr arrive apart and base64 input reaches the process', async () => {
    const created = await createExec({ cmd: ['sh', '-c', 'read x; echo got-$x; echo oops >&2; exit 2'] });
    const s = await open();
    s.send({ type: 'subscribe', id: 'pipe', channel: 'exec', execId: created.body.execId, encoding: 'base64' });
    await s.waitFor((f) => f.id === 'pipe' && f.type === 'subscribed');
    s.send({ type: 'stdin', id: 'pipe', data: Buffer.from('h\u00e9llo\n').toString('base64'), encoding: 'base64' });
    const end = await s.waitFor((f) => f.id === 'pipe' && (f.type === 'end' || f.type === 'error'));
    expect(end.data).toEqual({ reason: 'exited', exitCode: 2 });
    expect(printed(s, 'pipe', 'stdout')).toBe('got-h\u00e9llo\n');
    expect(printed(s, 'pipe', 'stderr')).toBe('oops\n');
  });

  test('when an input frame is bad or names no session, then an error with id null and the session goes on', async () => {
    const created = await createExec({ cmd: ['sh'], tty: false });
    const s = await open();
    s.send({ type: 'subscribe', id: 'keep', channel: 'exec', execId: created.body.execId });
    await s.waitFor((f) => f.id === 'keep' && f.type === 'subscribed');
    s.send({ type: 'resize', id: 'keep', cols: 80, rows: 24 });
    const noTty = await s.waitFor((f) => f.id === null && f.type === 'error');
    expect(noTty.data).toMatchObject({ code: 'invalid_request', details: { subscription: 'keep' } });
    s.send({ type: 'stdin', id: 'keep', data: 'x'.repeat(9000) });
    await s.waitFor((f) => f.id === null && (f.data as { message: string }).message.includes('8192 bytes'));
    s.send({ type: 'stdin', id: 'nobody', data: 'ls\n' });
    await s.waitFor((f) => f.id === null && (f.data as { code: string }).code === 'not_found');
    typeIn(s, 'keep', 'echo still-here; exit 0\n');
    await waitForOutput(s, 'keep', 'still-here');
    expect((await s.waitFor((f) => f.id === 'keep' && f.type === 'end')).data).toEqual({ reason: 'exited', exitCode: 0 });
  });
});

describe('backpressure', () => {
  test('when the client stops reading, then the engine stream is paused (the process waits) and the client is not cut off', async () => {
    const created = await createExec({ cmd: ['sh', '-c', 'yes 0123456789abcdef | head -c 300000000; echo done'] });
    const s = await open();
    s.send({ type: 'subscribe', id: 'flood', channel: 'exec', execId: created.body.execId });
    await waitForOutput(s, 'flood', '0123456789abcdef');
    const socket = (s.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    await new Promise((r) => setTimeout(r, 1500));
    const info = await svc.http.get(`/api/v1/exec/${created.body.execId}`).set(auth('admin'));
    expect(info.body.running).toBe(true); // blocked on its pipe: 300 MB did not go anywhere
    const before = s.frames.length;
    socket.resume();
    await s.waitFor(() => s.frames.length > before + 50, 10000);
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    s.send({ type: 'unsubscribe', id: 'flood' });
    await s.waitFor((f) => f.id === 'flood' && f.type === 'end', 10000);
    expect(s.frames.some((f) => f.id === null)).toBe(false);
  });
});

describe('typed client', () => {
  test('when a terminal is driven with the typed client, then keystrokes are coalesced, output decoded and the exit code reported', async () => {
    const created = await createExec({ cmd: ['sh'], tty: true });
    const client = new DockhandWsClient({
      url: svc.wsUrl,
      reconnect: false,
      connect: (url, protocols) =>
        new WebSocket(url, protocols, { headers: { Authorization: `Bearer ${TOKENS.admin}` } }) as unknown as WebSocketLike,
    });
    await client.open();
    try {
      let out = '';
      const ended = new Promise<{ reason: string }>((resolve) => {
        const term = client.terminal(
          { channel: 'exec', execId: created.body.execId, cols: 77, rows: 22 },
          { onOutput: (d) => (out += String(d)), onEnd: resolve },
        );
        // Typed before the session is open and faster than 20 frames/s: buffered, then sent in a few frames.
        for (const ch of 'busybox stty size; echo typed-$((40+2))\n') term.write(ch);
        term.write(new TextEncoder().encode('exit 6\n'));
      });
      expect(await ended).toEqual({ reason: 'exited', exitCode: 6 });
      expect(out).toContain('22 77');
      expect(out).toContain('typed-42');
    } finally {
      client.close();
    }
  });
});

describe('one-shot exec', () => {
  test('when run with wait=true, then the exit code and stdout/stderr apart, with env, workingDir and user applied', async () => {
    const res = await runNow({
      cmd: ['sh', '-c', 'echo "$GREETING from $(pwd)"; echo warn >&2; exit 3'],
      env: { GREETING: 'hi' },
      workingDir: '/tmp',
      user: '0:0',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      execId: expect.stringMatching(/^[a-f0-9]{64}$/),
      exitCode: 3,
      timedOut: false,
      running: false,
      stdout: 'hi from /tmp\n',
      stderr: 'warn\n',
      truncated: false,
    });
  });

  test('when the output passes 1 MiB, then the newest 1 MiB is kept and truncated says so', async () => {
    const res = await runNow({ cmd: ['sh', '-c', 'yes 0123456789abcde | head -c 1500000; echo END'] });
    expect(res.body).toMatchObject({ exitCode: 0, truncated: true });
    expect(Buffer.byteLength(res.body.stdout)).toBe(1024 * 1024);
    expect(res.body.stdout.endsWith('END\n')).toBe(true);
  });

  test('when the command outlives the timeout, then an honest answer: timedOut, no exit code, still running', async () => {
    const res = await runNow({ cmd: ['sh', '-c', 'echo started; sleep 3'] }, 'wait=true&timeout=1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ timedOut: true, exitCode: null, running: true, stdout: 'started\n' });
    const later = await svc.http.get(`/api/v1/exec/${res.body.execId}`).set(auth('admin'));
    expect(later.body.running).toBe(true);
  });

  test('when the container is stopped, then 409 container_not_running', async () => {
    const stopped = await t.docker.createContainer({ name: t.name('stopped'), Image: (await box.inspect()).Config.Image, Labels: t.labels });
    const res = await svc.http
      .post(`/api/v1/containers/${stopped.id}/exec?wait=true`)
      .set(auth('admin'))
      .send({ cmd: ['true'] });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('container_not_running');
  });
});

describe('refusals', () => {
  test.each(['operator', 'viewer'] as const)('when a %s token asks, then REST 403 and a WS forbidden error frame', async (role) => {
    expect((await createExec({ cmd: ['sh'] }, role)).status).toBe(403);
    expect((await runNow({ cmd: ['true'] }).set(auth(role))).status).toBe(403);
    const created = await createExec({ cmd: ['sh'] });
    expect((await svc.http.get(`/api/v1/exec/${created.body.execId}`).set(auth(role))).status).toBe(403);
    const s = await open(role);
    s.send({ type: 'subscribe', id: 'x', channel: 'exec', execId: created.body.execId });
    s.send({ type: 'subscribe', id: 'y', channel: 'attach', container: box.id });
    expect((await s.waitFor((f) => f.id === 'x')).data).toMatchObject({ code: 'forbidden' });
    expect((await s.waitFor((f) => f.id === 'y')).data).toMatchObject({ code: 'forbidden' });
    expect((await svc.http.get(`/api/v1/exec/${created.body.execId}`).set(auth('admin'))).body.pid).toBe(0);
  });

  test('when the exec id is not 64 hex digits, then 400 and an invalid_request error frame; an unknown one is 404', async () => {
    const bad = await svc.http.get('/api/v1/exec/..%2F..%2Fcontainers%2Fjson').set(auth('admin'));
    expect(bad.status).toBe(400);
    expect((await svc.http.get(`/api/v1/exec/${'a'.repeat(63)}Z`).set(auth('admin'))).status).toBe(400);
    const unknown = await svc.http.get(`/api/v1/exec/${'0'.repeat(64)}`).set(auth('admin'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('exec_not_found');
    const s = await open();
    s.send({ type: 'subscribe', id: 'bad', channel: 'exec', execId: '../containers/json' });
    expect((await s.waitFor((f) => f.id === 'bad')).data).toMatchObject({ code: 'invalid_request' });
    s.send({ type: 'subscribe', id: 'gone', channel: 'exec', execId: '0'.repeat(64) });
    expect((await s.waitFor((f) => f.id === 'gone')).data).toMatchObject({ code: 'exec_not_found' });
  });

  test.each([
    ['an empty cmd', { cmd: [] }],
    ['an unknown field', { cmd: ['sh'], privileged: true }],
    ['a relative workingDir', { cmd: ['sh'], workingDir: 'tmp' }],
    ['a bad env name', { cmd: ['sh'], env: { 'A=B': 'x' } }],
    ['a user with a space', { cmd: ['sh'], user: 'root x' }],
  ])('when the body has %s, then 400', async (_what, body) => {
    const res = await createExec(body);
    expect(res.status).toBe(400);
  });
});

describe('idle sessions', () => {
  test('when a session sees no input and no output for EXEC_IDLE_TIMEOUT_MS, then it ends with idle_timeout', async () => {
    const idle = await startService({ EXEC_IDLE_TIMEOUT_MS: '700' });
    try {
      const created = await idle.http
        .post(`/api/v1/containers/${box.id}/exec`)
        .set(auth('admin'))
        .send({ cmd: ['sh'], tty: true });
      const s = await connectWs(idle.wsUrl, 'admin');
      sockets.push(s);
      s.send({ type: 'subscribe', id: 'idle', channel: 'exec', execId: created.body.execId });
      const end = await s.waitFor((f) => f.id === 'idle' && (f.type === 'end' || f.type === 'error'), 10000);
      expect(end.data).toEqual({ reason: 'idle_timeout', idleTimeoutMs: 700 });
      // Hung up: the shell got its hangup and is gone.
      let info = await idle.http.get(`/api/v1/exec/${created.body.execId}`).set(auth('admin'));
      for (let i = 0; i < 40 && info.body.running; i++) {
        await new Promise((r) => setTimeout(r, 50));
        info = await idle.http.get(`/api/v1/exec/${created.body.execId}`).set(auth('admin'));
      }
      expect(info.body.running).toBe(false);
    } finally {
      await idle.close();
    }
  });
});
