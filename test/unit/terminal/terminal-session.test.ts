import type { OutputChunk, TerminalStream } from '../../../src/domain/terminal/terminal';
import { TerminalSession, type SessionHooks } from '../../../src/ws/channels/terminal-session';
import { parseClientFrame } from '../../../src/ws/protocol';
import type { SubscriptionSink } from '../../../src/ws/subscription';

/** A stream fed by the test; writes stay pending until `drain()`. */
function fakeStream() {
  const queue: (OutputChunk | null)[] = [];
  let wake: (() => void) | undefined;
  const pending: (() => void)[] = [];
  const closes: (Buffer | undefined)[] = [];
  const written: string[] = [];
  async function* output(): AsyncGenerator<OutputChunk> {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      const next = queue.shift()!;
      if (next === null) return;
      yield next;
    }
  }
  const stream: TerminalStream = {
    output: output(),
    write: (b) =>
      new Promise<void>((resolve) => {
        written.push(b.toString());
        pending.push(resolve);
      }),
    close: (last) => {
      closes.push(last);
      queue.push(null);
      wake?.();
    },
  };
  return {
    stream,
    closes,
    written,
    emit: (stream: 'stdout' | 'stderr', text: string | Buffer) => {
      queue.push({ stream, bytes: Buffer.from(text) });
      wake?.();
    },
    finish: () => {
      queue.push(null);
      wake?.();
    },
    drain: () => pending.splice(0).forEach((r) => r()),
  };
}

function fakeSink() {
  const frames: { type: string; data: unknown }[] = [];
  let open = true;
  const sink: SubscriptionSink = {
    id: 's',
    principal: { name: 'root', role: 'admin' },
    get isOpen() {
      return open;
    },
    bufferedAmount: 0,
    drained: async () => undefined,
    send: (type, data) => (frames.push({ type, data }), true),
    end: (data) => {
      frames.push({ type: 'end', data });
      open = false;
    },
    fail: (err) => {
      frames.push({ type: 'error', data: err.code });
      open = false;
    },
  };
  return { sink, frames };
}

const hooks = (over: Partial<Omit<SessionHooks, 'closed'>> = {}): SessionHooks & { closed: jest.Mock } => ({
  tty: true,
  encoding: 'utf8',
  idleTimeoutMs: 60_000,
  hangup: Buffer.from([4]),
  resize: jest.fn(async () => undefined),
  ended: async () => ({ reason: 'exited', exitCode: 7 }),
  closed: jest.fn(),
  ...over,
});

describe('terminal session', () => {
  test('when the output ends, then output frames, then one end frame with the exit code, and no hangup bytes', async () => {
    const f = fakeStream();
    const { sink, frames } = fakeSink();
    const h = hooks();
    const session = new TerminalSession(f.stream, sink, h);
    const done = session.run();
    f.emit('stdout', 'café');
    f.finish();
    await done;
    session.close();
    expect(frames).toEqual([
      { type: 'output', data: { stream: 'stdout', data: 'café', encoding: 'utf8' } },
      { type: 'end', data: { reason: 'exited', exitCode: 7 } },
    ]);
    expect(f.closes).toEqual([undefined]);
    expect(h.closed).toHaveBeenCalledTimes(1);
    expect(h.closed.mock.calls[0][0]).toMatchObject({ reason: 'exited', exitCode: 7 });
  });

  test('when a multi-byte character is split across chunks, then it arrives whole', async () => {
    const f = fakeStream();
    const { sink, frames } = fakeSink();
    const done = new TerminalSession(f.stream, sink, hooks()).run();
    const bytes = Buffer.from('é');
    f.emit('stdout', bytes.subarray(0, 1));
    f.emit('stdout', bytes.subarray(1));
    f.finish();
    await done;
    expect(
      frames
        .filter((x) => x.type === 'output')
        .map((x) => (x.data as { data: string }).data)
        .join(''),
    ).toBe('é');
    expect(frames.filter((x) => x.type === 'output').every((x) => !(x.data as { data: string }).data.includes('\ufffd'))).toBe(true);
  });

  test('when the client detaches, then the session hangs up with the hangup bytes and sends nothing more', async () => {
    const f = fakeStream();
    const { sink, frames } = fakeSink();
    const h = hooks();
    const session = new TerminalSession(f.stream, sink, h);
    const done = session.run();
    session.close();
    await done;
    expect(f.closes).toEqual([Buffer.from([4])]);
    expect(frames).toEqual([]);
    expect(h.closed.mock.calls[0][0]).toMatchObject({ reason: 'detached' });
  });

  test('when the process does not read its input, then input beyond four pending writes is refused with rate_limited', async () => {
    const f = fakeStream();
    const { sink } = fakeSink();
    const session = new TerminalSession(f.stream, sink, hooks());
    void session.run();
    const writes = [1, 2, 3, 4].map((i) => session.input({ type: 'stdin', id: 's', data: `k${i}` }));
    await expect(session.input({ type: 'stdin', id: 's', data: 'k5' })).rejects.toMatchObject({ code: 'rate_limited' });
    // The process reads one write at a time; the accepted frames reach it one after another, in order.
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setImmediate(r));
      f.drain();
    }
    await Promise.all(writes);
    expect(f.written).toEqual(['k1', 'k2', 'k3', 'k4']);
    session.close();
  });

  test('when a resize is followed by keystrokes, then the engine has the new size before the process reads them', async () => {
    const f = fakeStream();
    let finishResize!: () => void;
    const order: string[] = [];
    const h = hooks({
      resize: jest.fn(() => new Promise<void>((resolve) => (finishResize = () => (order.push('resized'), resolve())))),
    });
    const session = new TerminalSession(f.stream, fakeSink().sink, h);
    const resize = session.input({ type: 'resize', id: 's', cols: 132, rows: 43 });
    const keys = session.input({ type: 'stdin', id: 's', data: 'stty size\n' });
    await new Promise((r) => setImmediate(r));
    expect(f.written).toEqual([]);
    finishResize();
    await resize;
    await new Promise((r) => setImmediate(r));
    order.push(...f.written);
    f.drain();
    await keys;
    expect(order).toEqual(['resized', 'stty size\n']);
    session.close();
  });

  test('when a session without a TTY is resized, then invalid_request and the engine is not asked', async () => {
    const f = fakeStream();
    const h = hooks({ tty: false });
    const session = new TerminalSession(f.stream, fakeSink().sink, h);
    await expect(session.input({ type: 'resize', id: 's', cols: 80, rows: 24 })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(h.resize).not.toHaveBeenCalled();
    session.close();
  });
});

describe('input frames', () => {
  test.each([
    [{ type: 'stdin', id: 't', data: 'ls\n' }, true],
    [{ type: 'stdin', id: 't', data: 'AP8=', encoding: 'base64' }, true],
    [{ type: 'stdin', id: 't', data: 'not base64!', encoding: 'base64' }, false],
    [{ type: 'stdin', id: 't', data: 'x'.repeat(8193) }, false],
    [{ type: 'stdin', id: 't', data: 'é'.repeat(4097) }, false],
    [{ type: 'resize', id: 't', cols: 80, rows: 24 }, true],
    [{ type: 'resize', id: 't', cols: 0, rows: 24 }, false],
    [{ type: 'resize', id: 't', cols: 80 }, false],
  ])('when the frame is %j, then accepted=%s, and a refusal names no subscription (the session goes on)', (frame, ok) => {
    const r = parseClientFrame(JSON.stringify(frame));
    expect(r.ok).toBe(ok);
    if (!r.ok) {
      expect(r.id).toBeNull();
      expect(r.error.details).toMatchObject({ subscription: 't' });
    }
  });
});
