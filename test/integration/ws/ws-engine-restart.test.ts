import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { ServerFrame } from '../../../src/ws/protocol';
import { auth, startService, type TestService } from '../../helpers/service';
import { startPrivateEngine, type PrivateEngine } from '../../../support/private-engine';
import { connectWs, type TestSocket } from '../../helpers/ws';

jest.setTimeout(60000);

interface Ev {
  action: string;
  actorId: string;
  reconciled: boolean;
  attributes: Record<string, string>;
}

let engine: PrivateEngine;
let svc: TestService;
let docker: Docker;
let sock: TestSocket;
/** The service reaches the engine through this link: removing it blinds the service while the test still works. */
let link: string;

beforeAll(async () => {
  engine = await startPrivateEngine();
  docker = new Docker({ socketPath: engine.socketPath });
  link = path.join(engine.dir, 'svc.sock');
  fs.symlinkSync(engine.socketPath, link);
  svc = await startService({ DOCKER_HOST: `unix://${link}` });
});
afterAll(async () => {
  sock?.ws.terminate();
  await svc?.close();
  if (docker) {
    const all = await docker.listContainers({ all: true }).catch(() => []);
    await Promise.all(
      all.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  }
  await engine?.destroy();
});

const create = (name: string) =>
  docker.createContainer({
    name,
    Image: 'pe-busybox:1',
    Entrypoint: ['/bin/sh', '-c', 'sleep 300'],
    Labels: { 'dockhand.test': 'ws' },
    StopTimeout: 1,
    HostConfig: { NetworkMode: 'none' },
  });

const untilTrue = async (what: string, cond: () => Promise<boolean> | boolean, ms = 20000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const hubConnected = async () => (await svc.http.get('/api/v1/events').set(auth('viewer'))).body.engineConnected === true;

test('when the engine restarts during a subscription, then what changed while it was away is reconciled once and live events resume', async () => {
  sock = await connectWs(svc.wsUrl, 'viewer');
  sock.send({ type: 'subscribe', id: 'ev', channel: 'events', filters: { type: ['container'], label: ['dockhand.test=ws'] } });
  await sock.waitFor((f) => f.type === 'subscribed');
  await untilTrue('the hub to connect', hubConnected);
  const evs = () => sock.frames.filter((f) => f.id === 'ev' && f.type === 'event') as ServerFrame<Ev>[];
  const of = (id: string) => evs().filter((f) => f.data.actorId === id);
  const actions = (id: string) => of(id).map((f) => f.data.action);

  // Before the outage: A created, B running.
  const a = await create('pe-a');
  const b = await create('pe-b');
  await b.start();
  await sock.waitFor((f) => f.type === 'event' && (f.data as Ev).actorId === b.id && (f.data as Ev).action === 'start');

  // The daemon goes down (stopping B) and comes back, but the service cannot reach it yet.
  fs.unlinkSync(link);
  await engine.stop();
  await untilTrue('the hub to notice', async () => !(await hubConnected()));
  await engine.start();
  await a.remove({ force: true });
  const d = await create('pe-d');
  // A second restart wipes the daemon's in-memory event history: only a listing can tell what happened.
  await engine.stop();
  await engine.start();

  // The service sees the engine again: it must report A's removal and D's creation, once, marked reconciled.
  fs.symlinkSync(engine.socketPath, link);
  await untilTrue('the hub to reconnect', hubConnected);
  const c = await create('pe-c');
  await c.start();
  await sock.waitFor((f) => f.type === 'event' && (f.data as Ev).actorId === c.id && (f.data as Ev).action === 'start', 15000);

  expect(actions(a.id)).toEqual(['create', 'destroy']);
  expect(of(a.id)[1].data.reconciled).toBe(true);
  expect(actions(d.id)).toEqual(['create']);
  expect(of(d.id)[0].data.reconciled).toBe(true);
  // B was stopped by the shutdown: whether the engine said so before closing the stream or the listing found it, once.
  expect(actions(b.id).filter((x) => x === 'die')).toHaveLength(1);
  expect(actions(b.id).filter((x) => x === 'start')).toHaveLength(1);
  expect(actions(c.id)).toEqual(['create', 'start']);
  expect(of(c.id).every((f) => !f.data.reconciled)).toBe(true);
  const seqs = evs().map((f) => f.seq);
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
});
