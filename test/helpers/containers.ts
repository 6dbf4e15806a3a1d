import Docker from 'dockerode';
import http from 'node:http';
import net from 'node:net';
import { testEnv } from '../../support/test-env';

/** Helpers for the containers test files: each file labels what it makes with its own run id and removes it. */
export const AREA_LABEL = 'dockhand.test';

export function engine(): Docker {
  return new Docker({ socketPath: testEnv().socketPath });
}

export interface ContainerRun {
  id: string;
  labels: Record<string, string>;
  /** A unique container name for this run. */
  name(what: string): string;
  cleanup(): Promise<void>;
}

export function containerRun(file: string): ContainerRun {
  const id = `${file}-${Math.random().toString(36).slice(2, 8)}`;
  const labels = { [AREA_LABEL]: 'containers', 'dockhand.test.run': id };
  return {
    id,
    labels,
    name: (what) => `ct-${what}-${id}`,
    cleanup: async () => {
      const docker = engine();
      const mine = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dockhand.test.run=${id}`] }) });
      await Promise.all(
        mine.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
      );
    },
  };
}

/** A port that was free a moment ago (bound on 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** GET http://127.0.0.1:port/ → body, retrying while the container's server comes up. */
export async function httpGet(port: number, attempts = 10): Promise<string> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve(body));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
      });
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

export async function containerExists(nameOrId: string): Promise<boolean> {
  try {
    await engine().getContainer(nameOrId).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}
