import Docker from 'dockerode';
import { imageChanges } from '../../src/engine/change-feed';
import { countCalls } from '../helpers/engine-proxy';
import { startProxiedService, type ProxiedService } from '../helpers/proxied-service';
import { auth } from '../helpers/service';
import { seed, testEnv } from '../../support/test-env';
import { waitFor } from '../helpers/wait-for';

/**
 * Image inspects and lists and container lists are answered again without the engine until a change is seen
 * (src/engine/read-cache.ts). Against the real engine: what is reused, and that every kind of change still shows.
 */
let p: ProxiedService;
const docker = () => new Docker({ socketPath: testEnv().socketPath });
const suffix = Math.random().toString(36).slice(2, 8);
const repository = () => `${testEnv().registry}/cache-test/${suffix}`;
const created: string[] = [];

const inspect = (ref: string, headers: Record<string, string> = {}) =>
  p.svc.http
    .get(`/api/v1/images/${encodeURIComponent(ref)}`)
    .set(auth('viewer'))
    .set(headers);
const tagsOf = async (ref: string, headers: Record<string, string> = {}): Promise<string[]> => {
  const res = await inspect(ref, headers);
  expect(res.status).toBe(200);
  return res.body.repoTags as string[];
};
const engineInspects = (calls: { method: string; path: string }[]) =>
  Object.entries(countCalls(calls))
    .filter(([k]) => /^GET (\/v[\d.]+)?\/images\/.+\/json$/.test(k))
    .reduce((n, [, c]) => n + c, 0);

beforeAll(async () => {
  p = await startProxiedService();
  // Answers are kept only while the service's engine event stream is connected.
  await inspect(seed.web143());
  await waitFor(async () => (await p.svc.http.get('/api/v1/events?limit=1').set(auth('viewer'))).body.engineConnected === true, 30000);
});
afterAll(async () => {
  for (const id of created)
    await docker()
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  for (const tag of ['a', 'b', 'c'])
    await docker()
      .getImage(`${repository()}:${tag}`)
      .remove()
      .catch(() => undefined);
  await p.close();
});

describe('reads answered again until a change', () => {
  test('when one image is inspected 20 times, then the engine is asked at most once per change the service saw meanwhile', async () => {
    // The engine is shared with test files running in parallel: their image and container changes are changes
    // here too. Each may cost one more engine call; with none, the 20 inspects make at most one.
    const events = async (since?: number) =>
      (
        await p.svc.http
          .get('/api/v1/events')
          .query({ ...(since === undefined ? { limit: 1 } : { since, limit: 1000 }) })
          .set(auth('viewer'))
      ).body as {
        lastSeq: number;
        items: { type: string; action: string }[];
      };
    await inspect(seed.web143());
    const before = (await events()).lastSeq;
    const { calls } = await p.calls(async () => {
      for (let i = 0; i < 20; i++) expect((await inspect(seed.web143())).status).toBe(200);
    });
    const changes = (await events(before)).items.filter((e) => imageChanges(e)).length;
    expect(engineInspects(calls)).toBeLessThanOrEqual(1 + changes);
    expect(engineInspects(calls)).toBeLessThan(20);
  });

  test('when the image is tagged through the service, then the very next inspect shows the tag', async () => {
    expect(await tagsOf(seed.web143())).not.toContain(`${repository()}:a`);
    const res = await p.svc.http
      .post(`/api/v1/images/${encodeURIComponent(seed.web143())}/tag`)
      .set(auth('admin'))
      .send({ repository: repository(), tag: 'a' });
    expect(res.status).toBe(201);
    expect(await tagsOf(seed.web143())).toContain(`${repository()}:a`);
  });

  test('when another engine client tags the image, then Cache-Control: no-cache shows it at once, and plain reads once its event arrived', async () => {
    await tagsOf(seed.web143());
    await docker().getImage(seed.web143()).tag({ repo: repository(), tag: 'b' });
    expect(await tagsOf(seed.web143(), { 'Cache-Control': 'no-cache' })).toContain(`${repository()}:b`);
    await waitFor(async () => (await tagsOf(seed.web143())).includes(`${repository()}:b`), 2000);
  });

  test('when Cache-Control: no-cache is sent, then the engine is asked every time', async () => {
    const { calls } = await p.calls(async () => {
      for (let i = 0; i < 3; i++) await tagsOf(seed.web143(), { 'Cache-Control': 'no-cache' });
    });
    expect(engineInspects(calls)).toBe(3);
  });

  test('when another engine client removes a tag, then the list stops showing it once the event arrived', async () => {
    await docker().getImage(seed.web143()).tag({ repo: repository(), tag: 'c' });
    const listedTags = async () => {
      const res = await p.svc.http
        .get('/api/v1/images')
        .query({ reference: `${repository()}:*` })
        .set(auth('viewer'));
      expect(res.status).toBe(200);
      return (res.body.items as { repoTags: string[] }[]).flatMap((i) => i.repoTags);
    };
    await waitFor(async () => (await listedTags()).includes(`${repository()}:c`), 2000);
    await docker().getImage(`${repository()}:c`).remove();
    await waitFor(async () => !(await listedTags()).includes(`${repository()}:c`), 2000);
  });

  test('when a container is created and started by another engine client, then the container list shows each state', async () => {
    const name = `cache-${suffix}`;
    const row = async () => {
      const res = await p.svc.http.get('/api/v1/containers').query({ all: true, name }).set(auth('viewer'));
      expect(res.status).toBe(200);
      return (res.body.items as { state: string }[])[0];
    };
    expect(await row()).toBeUndefined();
    const c = await docker().createContainer({ Image: seed.web143(), name, Labels: { 'dockhand.test': 'read-cache' } });
    created.push(c.id);
    await waitFor(async () => (await row())?.state === 'created', 2000);
    await c.start();
    await waitFor(async () => (await row())?.state === 'running', 2000);
    // A stop through the service shows on the very next list: its own writes count as changes at once.
    const stop = await p.svc.http.post(`/api/v1/containers/${c.id}/stop`).query({ timeout: 0 }).set(auth('operator'));
    expect(stop.status).toBe(200);
    expect((await row()).state).toBe('exited');
  });
});
