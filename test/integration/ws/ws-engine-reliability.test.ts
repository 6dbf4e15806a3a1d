import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { ServerFrame } from '../../../src/ws/protocol';
import { startEngineProxy, type EngineProxy } from '../../helpers/engine-proxy';
import { auth, startService, type TestService } from '../../helpers/service';
import { startPrivateEngine, type PrivateEngine } from '../../../support/private-engine';
import { connectWs, type TestSocket } from '../../helpers/ws';

/**
 * The engine's event stream under faults, on a private engine: a stream that stalls while the daemon answers, an
 * outage longer than the engine can replay, and a daemon restart with restart policies and ten subscribers. The
 * service reaches the engine through a symlink (removing it blinds the service) to a recording proxy (which can
 * stall or cut the streams).
 */
jest.setTimeout(180000);

interface Ev {
  seq: number;
  type: string;
  action: string;
  actorId: string;
  reconciled: boolean;
}

let engine: PrivateEngine;
let proxy: EngineProxy;
let docker: Docker;
let link: string;
const sockets: TestSocket[] = [];
const services: TestService[] = [];

beforeAll(async () => {
  engine = await startPrivateEngine();
  docker = new Docker({ socketPath: engine.socketPath });
  proxy = await startEngineProxy(engine.socketPath);
  link = path.join(engine.dir, 'svc.sock');
  fs.symlinkSync(proxy.socketPath, link);
});
afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  for (const s of services) await s.close();
  await proxy?.close();
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

async function service(env: Record<string, string> = {}): Promise<TestService> {
  const svc = await startService({ DOCKER_HOST: `unix://${link}`, ...env });
  services.push(svc);
  return svc;
}

async function subscriber(svc: TestService, label: string, id = 'ev', since?: number): Promise<TestSocket> {
  // Admin: the subscriptions filter on label values, which are redacted (and so match nothing) below admin.
  const sock = await connectWs(svc.wsUrl, 'admin');
  sockets.push(sock);
  sock.send({ type: 'subscribe', id, channel: 'events', filters: { label: [label] }, ...(since === undefined ? {} : { since }) });
  await sock.waitFor((f) => f.type === 'subscribed' || f.type === 'error');
  return sock;
}

const untilTrue = async (what: string, cond: () => Promise<boolean> | boolean, ms = 30000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const hubConnected = async (svc: TestService) => (await svc.http.get('/api/v1/events').set(auth('admin'))).body.engineConnected === true;
const events = (sock: TestSocket, id = 'ev') => sock.frames.filter((f) => f.id === id && f.type === 'event').map((f) => (f as ServerFrame<Ev>).data);
const seqs = (sock: TestSocket, id = 'ev') => events(sock, id).map((e) => e.seq);

const create = (name: string, label: string, extra: Partial<Docker.ContainerCreateOptions> = {}) =>
  docker.createContainer({
    name,
    Image: 'pe-busybox:1',
    Entrypoint: ['/bin/sh', '-c', 'sleep 600'],
    Labels: { [label.split('=')[0]]: label.split('=')[1] },
    StopTimeout: 1,
    ...extra,
    HostConfig: { NetworkMode: 'none', ...(extra.HostConfig ?? {}) },
  });

test('when the engine event stream stalls while the daemon still answers pings, then the watchdog finds it and reconnects, and nothing is lost', async () => {
  const svc = await service({ EVENTS_WATCHDOG_MS: '500' });
  const label = 'rel=stall';
  const sock = await subscriber(svc, label);
  await untilTrue('the hub to connect', () => hubConnected(svc));
  const a = await create('rel-stall-a', label);
  await sock.waitFor((f) => f.type === 'event' && (f.data as Ev).actorId === a.id);
  const opensBefore = proxy.requests.filter((r) => r.path.startsWith('/events') && !r.path.includes('until=')).length;

  expect(proxy.stallEventStreams()).toBeGreaterThanOrEqual(1);
  const b = await create('rel-stall-b', label);
  // The daemon answers pings all along; only the stream is stuck. The watchdog must notice and reopen it.
  const got = await sock.waitFor((f) => f.type === 'event' && (f.data as Ev).actorId === b.id, 30000);
  expect((got.data as Ev).action).toBe('create');
  // Replayed by the engine on the new stream: a real event, not made up from a listing.
  expect((got.data as Ev).reconciled).toBe(false);
  expect(proxy.requests.filter((r) => r.path.startsWith('/events') && !r.path.includes('until=')).length).toBeGreaterThan(opensBefore);
  // The probe that found it read the engine's held events on a connection of its own.
  expect(proxy.requests.some((r) => r.path.startsWith('/events') && r.path.includes('until='))).toBe(true);

  const c = await create('rel-stall-c', label);
  await sock.waitFor((f) => f.type === 'event' && (f.data as Ev).actorId === c.id, 15000);
  expect(events(sock).map((e) => `${e.actorId}:${e.action}`)).toEqual([`${a.id}:create`, `${b.id}:create`, `${c.id}:create`]);
  const s = seqs(sock);
  expect(s).toEqual([...new Set(s)].sort((x, y) => x - y));
  await svc.close();
  services.splice(services.indexOf(svc), 1);
});

test('when more events than the engine can replay happen while the stream is down, then subscribers get resync_required, never a silent gap', async () => {
  const svc = await service();
  const label = 'rel=burst';
  const sock = await subscriber(svc, label);
  const all = await subscriber(svc, 'rel=nothing-matches', 'quiet');
  await untilTrue('the hub to connect', () => hubConnected(svc));
  const a = await create('rel-burst-a', label);
  await sock.waitFor((f) => f.type === 'event' && (f.data as Ev).actorId === a.id);
  const before = (await svc.http.get('/api/v1/events').set(auth('admin'))).body.lastSeq as number;

  // The service loses the engine (its socket path is gone and its stream is cut); the daemon goes on.
  fs.unlinkSync(link);
  proxy.cut();
  await untilTrue('the hub to notice', async () => !(await hubConnected(svc)));
  // 300 events (the engine keeps 256 for replay): tags and untags of one image.
  for (let i = 0; i < 150; i++) await docker.getImage('pe-busybox:1').tag({ repo: 'pe-burst', tag: String(i) });
  for (let i = 0; i < 150; i++) await docker.getImage(`pe-burst:${i}`).remove();
  fs.symlinkSync(proxy.socketPath, link);
  await untilTrue('the hub to reconnect', () => hubConnected(svc));

  // Every events subscription hears it, whatever its filters: what was lost is unknown.
  for (const [s, id] of [
    [sock, 'ev'],
    [all, 'quiet'],
  ] as const) {
    const err = await s.waitFor((f) => f.id === id && f.type === 'error', 15000);
    expect((err.data as { code: string }).code).toBe('resync_required');
  }
  const rest = await svc.http.get('/api/v1/events').query({ since: before }).set(auth('admin'));
  expect(rest.status).toBe(409);
  expect(rest.body.code).toBe('resync_required');
  const ws = await subscriber(svc, label, 'resume', before);
  const refused = await ws.waitFor((f) => f.id === 'resume' && f.type !== 'subscribed');
  expect(refused.type).toBe('error');
  expect((refused.data as { code: string }).code).toBe('resync_required');

  // Subscribing afresh follows what comes next.
  const fresh = await subscriber(svc, label, 'fresh');
  const b = await create('rel-burst-b', label);
  await fresh.waitFor((f) => f.id === 'fresh' && f.type === 'event' && (f.data as Ev).actorId === b.id, 15000);
  await svc.close();
  services.splice(services.indexOf(svc), 1);
});

test('when the daemon restarts under containers with restart policies and ten subscribers, then each container ends in its true state and every subscriber saw the same events, without gap or duplicate', async () => {
  const svc = await service();
  const label = 'rel=restart';
  await untilTrue('the hub to connect', () => hubConnected(svc));
  const from = (await svc.http.get('/api/v1/events').set(auth('admin'))).body.lastSeq as number;
  // Ten clients from the same point: five stay connected throughout, five drop during the outage and resume.
  const clients = await Promise.all(Array.from({ length: 10 }, () => subscriber(svc, label, 'ev', from)));

  const always = await create('rel-always', label, { HostConfig: { RestartPolicy: { Name: 'always' } } });
  const never = await create('rel-no', label, { HostConfig: { RestartPolicy: { Name: 'no' } } });
  const unless = await create('rel-unless', label, { HostConfig: { RestartPolicy: { Name: 'unless-stopped' } } });
  for (const c of [always, never, unless]) await c.start();
  await unless.stop({ t: 0 });
  await clients[0].waitFor((f) => f.type === 'event' && (f.data as Ev).actorId === unless.id && (f.data as Ev).action === 'die', 15000);

  const lastSeen = seqs(clients[9]).at(-1)!;
  for (const c of clients.slice(5)) c.ws.terminate();
  fs.unlinkSync(link);
  await engine.stop();
  await untilTrue('the hub to notice', async () => !(await hubConnected(svc)));
  await engine.start();
  fs.symlinkSync(proxy.socketPath, link);
  await untilTrue('the hub to reconnect', () => hubConnected(svc));
  // The daemon restarts `always` on its own; after that, one ordinary event closes the scene.
  await untilTrue('always to run again', async () => (await always.inspect()).State.Running);
  const marker = await create('rel-marker', label);
  const resumed = await Promise.all(clients.slice(5).map((c) => subscriber(svc, label, 'ev', seqs(c).at(-1) ?? lastSeen)));
  const everyone = [...clients.slice(0, 5), ...clients.slice(5).map((old, i) => ({ old, now: resumed[i] }))];
  const seenBy = (c: (typeof everyone)[number]) => ('old' in c ? [...events(c.old), ...events(c.now)] : events(c));
  for (const c of everyone) {
    const sock = 'old' in c ? c.now : c;
    await sock.waitFor((f) => f.type === 'event' && (f.data as Ev).actorId === marker.id, 20000);
  }

  // Zero divergence: every subscriber has exactly what the service's log holds for this label, in order, once.
  const log = await svc.http.get('/api/v1/events').query({ since: from, label, limit: 1000 }).set(auth('admin'));
  expect(log.status).toBe(200);
  const truth = (log.body.items as Ev[]).map((e) => e.seq);
  expect(truth.length).toBeGreaterThanOrEqual(8);
  for (const c of everyone) expect(seenBy(c).map((e) => e.seq)).toEqual(truth);

  // Folding the events gives each container's true state, as the engine reports it now.
  const folded = new Map<string, string>();
  for (const e of log.body.items as Ev[]) {
    if (e.action === 'create') folded.set(e.actorId, 'created');
    if (e.action === 'start' || e.action === 'unpause') folded.set(e.actorId, 'running');
    if (e.action === 'die') folded.set(e.actorId, 'exited');
    if (e.action === 'destroy') folded.delete(e.actorId);
  }
  for (const c of [always, never, unless, marker]) expect(folded.get(c.id)).toBe((await c.inspect()).State.Status);
  expect((await always.inspect()).State.Status).toBe('running');
  expect((await never.inspect()).State.Status).toBe('exited');
  expect((await unless.inspect()).State.Status).toBe('exited');
  // And the REST list says the same.
  const list = await svc.http.get('/api/v1/containers').query({ all: true, label }).set(auth('admin')).set('Cache-Control', 'no-cache');
  expect(list.status).toBe(200);
  const byId = new Map((list.body.items as { id: string; state: string }[]).map((c) => [c.id, c.state]));
  expect(byId.get(always.id)).toBe('running');
  expect(byId.get(never.id)).toBe('exited');
  expect(byId.get(unless.id)).toBe('exited');
});
