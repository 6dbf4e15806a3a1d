import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import type { ServerFrame } from '../../../src/ws/protocol';
import { seed, testEnv } from '../../../support/test-env';
import type { TestSocket } from '../../helpers/ws';

/** What the terminal test files make carries this label and their run id; afterAll removes it. */
export function terminalRun(file: string) {
  const run = `${file}-${randomBytes(3).toString('hex')}`;
  const labels = { 'dockhand.test': 'terminal', 'dockhand.test.run': run };
  const docker = new Docker({ socketPath: testEnv().socketPath });
  return {
    docker,
    labels,
    name: (what: string) => `term-${what}-${run}`,
    /** The seed's base image (busybox, CMD sh) must be in the engine: pull it from the loopback registry once. */
    async ensureBase(): Promise<void> {
      try {
        await docker.getImage(seed.base()).inspect();
      } catch {
        const stream = await docker.pull(seed.base());
        await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve(undefined))));
      }
    },
    /** `docker run -dit` of the base image: `sh` waiting on its terminal keeps it running. */
    async interactive(what: string): Promise<Docker.Container> {
      const c = await docker.createContainer({
        name: `term-${what}-${run}`,
        Image: seed.base(),
        Cmd: ['sh'],
        Tty: true,
        OpenStdin: true,
        Labels: labels,
        HostConfig: { NetworkMode: 'none' },
      });
      await c.start();
      return c;
    },
    async cleanup(): Promise<void> {
      const mine = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dockhand.test.run=${run}`] }) });
      await Promise.all(
        mine.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
    },
  };
}

interface Output {
  stream: string;
  data: string;
  encoding: string;
}

/** Everything a subscription printed so far, per stream (or both), decoded. */
export function printed(s: TestSocket, id: string, stream?: 'stdout' | 'stderr'): string {
  return s.frames
    .filter((f) => f.id === id && f.type === ('output' as ServerFrame['type']))
    .map((f) => f.data as Output)
    .filter((o) => stream === undefined || o.stream === stream)
    .map((o) => (o.encoding === 'base64' ? Buffer.from(o.data, 'base64').toString('utf8') : o.data))
    .join('');
}

/** Waits until the subscription's output contains `text`. */
export async function waitForOutput(s: TestSocket, id: string, text: string | RegExp, timeoutMs = 10000): Promise<string> {
  const has = () => {
    const out = printed(s, id);
    return typeof text === 'string' ? out.includes(text) : text.test(out);
  };
  await s.waitFor((f) => f.id === id && (has() || f.type === 'end' || f.type === 'error'), timeoutMs);
  if (!has())
    throw new Error(
      `output of ${id} never showed ${String(text)}; got ${JSON.stringify(printed(s, id).slice(-400))} frames ${JSON.stringify(s.frames.slice(-3))}`,
    );
  return printed(s, id);
}

export const typeIn = (s: TestSocket, id: string, text: string) => s.send({ type: 'stdin', id, data: text });
