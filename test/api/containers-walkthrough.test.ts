import { auth, startService, type TestService } from '../helpers/service';
import { containerRun, engine, freePort, httpGet } from '../helpers/containers';
import { seed } from '../../support/test-env';

/** The seed's walkthrough: `docker run -d -p …:80 --name …` from two tags, then `docker ps -a -s`. */
let svc: TestService;
const run = containerRun('walk');
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await run.cleanup();
  await svc.close();
});

const create = (body: Record<string, unknown>) =>
  svc.http
    .post('/api/v1/containers')
    .set(auth('admin'))
    .send({ labels: run.labels, ...body });

describe('containers: the seed walkthrough', () => {
  const ports: Record<string, number> = {};

  test('when containers are run from both tags with names and published ports, then each answers with its own version', async () => {
    for (const [version, image] of [
      ['1.39', seed.web139()],
      ['1.43', seed.web143()],
    ]) {
      ports[version] = await freePort();
      const res = await create({ image, name: run.name(`web${version.replace('.', '')}`), ports: [{ containerPort: 80, hostPort: ports[version] }] });
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`/api/v1/containers/${res.body.id}`);
      expect(res.body.state.running).toBe(true);
      expect(res.body.ports).toContainEqual({ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: ports[version] });
    }
    expect(await httpGet(ports['1.39'])).toBe('seed web 1.39\n');
    expect(await httpGet(ports['1.43'])).toBe('seed web 1.43\n');
  }, 20_000);

  test('when listing with filters, then label, name, ancestor and status select the right containers', async () => {
    const mine = `dockhand.test.run=${run.id}`;
    const all = await svc.http.get('/api/v1/containers').query({ label: mine, all: true }).set(auth('viewer'));
    expect(all.status).toBe(200);
    expect(all.body.items.map((c: { names: string[] }) => c.names[0]).sort()).toEqual([run.name('web139'), run.name('web143')]);
    const row = all.body.items.find((c: { names: string[] }) => c.names[0] === run.name('web143'));
    expect(row).toMatchObject({ image: seed.web143(), state: 'running', labels: run.labels });
    expect(row.ports).toContainEqual(expect.objectContaining({ privatePort: 80, publicPort: ports['1.43'], type: 'tcp' }));
    expect(row.sizeRw).toBeUndefined();

    const byAncestor = await svc.http.get('/api/v1/containers').query({ label: mine, ancestor: seed.web139() }).set(auth('viewer'));
    expect(byAncestor.body.items.map((c: { names: string[] }) => c.names[0])).toEqual([run.name('web139')]);
    const byName = await svc.http
      .get('/api/v1/containers')
      .query({ name: run.name('web143') })
      .set(auth('viewer'));
    expect(byName.body.items.map((c: { names: string[] }) => c.names[0])).toEqual([run.name('web143')]);
    const exited = await svc.http.get('/api/v1/containers').query({ label: mine, status: 'exited', all: true }).set(auth('viewer'));
    expect(exited.body.items).toEqual([]);
  });

  test('when a container writes a file, then sizeRw counts those bytes while sizeRootFs is the image plus them', async () => {
    const name = run.name('writer');
    const res = await create({ image: seed.web143(), name, entrypoint: ['sh', '-c', 'dd if=/dev/zero of=/f bs=1k count=100; sleep 600'] });
    expect(res.status).toBe(201);
    const imageSize = (await engine().getImage(seed.web143()).inspect()).Size;
    let row: { sizeRw: number; sizeRootFs: number } | undefined;
    for (let i = 0; i < 50; i++) {
      const list = await svc.http.get('/api/v1/containers').query({ name, size: true }).set(auth('viewer'));
      row = list.body.items[0];
      if (row && row.sizeRw >= 100 * 1024) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(row!.sizeRw).toBeGreaterThanOrEqual(100 * 1024);
    expect(row!.sizeRw).toBeLessThan(200 * 1024);
    expect(row!.sizeRootFs).toBe(imageSize + row!.sizeRw);

    // The web containers wrote nothing of note: their own size stays tiny next to the image ("5B (virtual 2MB)").
    const web = await svc.http
      .get('/api/v1/containers')
      .query({ name: run.name('web139'), size: true })
      .set(auth('viewer'));
    expect(web.body.items[0].sizeRw).toBeLessThan(10 * 1024);
    expect(web.body.items[0].sizeRootFs).toBeGreaterThanOrEqual(imageSize - 64 * 1024);
  });

  test('when a container uses an image, then the engine refuses to delete that image', async () => {
    await expect(engine().getImage(seed.web139()).remove()).rejects.toMatchObject({ statusCode: 409 });
    expect((await engine().getImage(seed.web139()).inspect()).Id).toMatch(/^sha256:/);
  });
});
