import Docker from 'dockerode';
import { auth, startService, type TestService } from '../helpers/service';
import { seed, testEnv } from '../../support/test-env';

let svc: TestService;
const docker = () => new Docker({ socketPath: testEnv().socketPath });
const enc = encodeURIComponent;

beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc.close();
});

describe('GET /api/v1/images', () => {
  test('when listing, then the seed tags are there with sizes that show their shared layers', async () => {
    const res = await svc.http.get('/api/v1/images').set(auth('viewer'));
    expect(res.status).toBe(200);
    const byTag = (tag: string) => res.body.items.find((i: { repoTags: string[] }) => i.repoTags.includes(tag));
    const a = byTag(seed.web139());
    const b = byTag(seed.web143());
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(a.id).not.toBe(b.id);
    // Both versions share the busybox base and one common layer: most of each image is shared.
    for (const img of [a, b]) {
      expect(img.sharedSize).toBeGreaterThan(img.size / 2);
      // Not "unique ≥ its own top layer": other suites build images on these seeds (the triggers' and the updates'
      // variants), and then every layer of a seed is shared.
      expect(img.uniqueSize).toBe(img.size - img.sharedSize);
    }
    // The engine agrees on the figures we report.
    const engine = await docker().getImage(seed.web143()).inspect();
    expect(b.size).toBe(engine.Size);
    expect(b.repoDigests[0]).toMatch(/@sha256:[a-f0-9]{64}$/);
  });

  test('when filtered by reference, then only matching images come back', async () => {
    const res = await svc.http
      .get('/api/v1/images')
      .query({ reference: `${testEnv().registry}/seed/web:1.4*` })
      .set(auth('viewer'));
    expect(res.status).toBe(200);
    const tags = res.body.items.flatMap((i: { repoTags: string[] }) => i.repoTags);
    expect(tags).toContain(seed.web143());
    expect(tags).not.toContain(seed.web139());
  });

  // Label values, entrypoint arguments and build steps are redacted below admin (docs/hardening.md, section 9): the
  // reads that check them ask as admin; the redaction itself is tested in hardening/redaction.test.ts.
  test('when filtered by label, then only images carrying it come back', async () => {
    const res = await svc.http.get('/api/v1/images').query({ label: 'org.example.version=1.39' }).set(auth('admin'));
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThanOrEqual(1);
    for (const i of res.body.items) expect(i.labels['org.example.version']).toBe('1.39');
  });

  test('when filtered on dangling=false, then every image has a tag', async () => {
    const res = await svc.http.get('/api/v1/images?dangling=false').set(auth('viewer'));
    expect(res.status).toBe(200);
    for (const i of res.body.items) expect(i.repoTags.length).toBeGreaterThan(0);
  });

  // The container is made by another engine client, so the read asks for no-cache: a plain read may come before
  // the container's event has reached the service (image-list-usage.test.ts follows a change without it).
  test('when a container uses an image, then a no-cache read counts it and marks the image in use', async () => {
    const c = await docker().createContainer({ Image: seed.web139(), Labels: { 'dockhand.test': 'image-reads' } });
    try {
      const res = await svc.http.get('/api/v1/images').query({ reference: seed.web139() }).set(auth('viewer')).set('Cache-Control', 'no-cache');
      expect(res.status).toBe(200);
      expect(res.body.items[0].containers).toBeGreaterThanOrEqual(1);
      expect(res.body.items[0].inUse).toBe(true);
    } finally {
      await c.remove({ force: true });
    }
  });
});

describe('GET /api/v1/images/{ref}', () => {
  test('when given an encoded registry reference, then the image is described', async () => {
    const res = await svc.http.get(`/api/v1/images/${enc(seed.web143())}`).set(auth('admin'));
    expect(res.status).toBe(200);
    expect(res.body.repoTags).toContain(seed.web143());
    expect(res.body.entrypoint).toEqual(['/bin/httpd', '-f', '-p', '80', '-h', '/www']);
    expect(res.body.exposedPorts).toEqual(['80/tcp']);
    expect(res.body.env).toContain('WEB_VERSION=1.43');
    expect(res.body.labels).toEqual({ 'org.example.seed': 'web', 'org.example.version': '1.43' });
    expect(res.body.os).toBe('linux');
    // busybox base, the shared RUN layer and two COPY layers.
    expect(res.body.layers).toHaveLength(4);
  });

  test('when given the id, a short id or a digest reference, then it is the same image', async () => {
    const full = await svc.http.get(`/api/v1/images/${enc(seed.web143())}`).set(auth('viewer'));
    const id: string = full.body.id;
    const hex = id.replace('sha256:', '');
    for (const ref of [id, hex, hex.slice(0, 12), full.body.repoDigests[0]]) {
      const res = await svc.http.get(`/api/v1/images/${enc(ref)}`).set(auth('viewer'));
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(id);
    }
  });

  test('when the name has no tag, then it means :latest', async () => {
    await docker().getImage('seed/base:1').tag({ repo: 'image-reads-latest', tag: 'latest' });
    try {
      const res = await svc.http.get('/api/v1/images/image-reads-latest').set(auth('viewer'));
      expect(res.status).toBe(200);
      expect(res.body.repoTags).toContain('image-reads-latest:latest');
    } finally {
      await docker().getImage('image-reads-latest:latest').remove();
    }
  });

  test('when the image is absent, then 404 image_not_found', async () => {
    const res = await svc.http.get(`/api/v1/images/${enc('no/such-image:9')}`).set(auth('viewer'));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('image_not_found');
  });

  test.each([
    ['uppercase', 'Busybox'],
    ['traversal', '../../containers/json'],
    ['query', 'busybox?all=1'],
    ['fragment', 'busybox#x'],
    ['CRLF', 'busybox\r\nX: y'],
    ['NUL', 'busybox\u0000'],
    ['look-alike', 'bυsybox'],
    ['10,000 characters', 'a'.repeat(10000)],
  ])('when the reference is invalid (%s), then 400 invalid_reference', async (_why, ref) => {
    const res = await svc.http.get(`/api/v1/images/${enc(ref)}`).set(auth('viewer'));
    expect(res.status).toBe(400);
    expect(['invalid_reference', 'invalid_request']).toContain(res.body.code);
  });
});

describe('GET /api/v1/images/{ref}/history', () => {
  test('when asked, then one row per build step, newest first, with the size of each layer', async () => {
    const res = await svc.http.get(`/api/v1/images/${enc(seed.web143())}/history`).set(auth('admin'));
    expect(res.status).toBe(200);
    const rows = res.body.items as { createdBy: string; size: number; emptyLayer: boolean }[];
    expect(rows[0].createdBy).toContain('ENTRYPOINT');
    expect(rows[0].emptyLayer).toBe(true);
    const copy = rows.find((r) => r.createdBy.includes('COPY') && r.createdBy.includes('payload'));
    expect(copy?.size).toBe(65536);
    expect(rows.filter((r) => !r.emptyLayer)).toHaveLength(4);
  });

  test('when the image is absent, then 404 image_not_found', async () => {
    const res = await svc.http.get('/api/v1/images/nothing-here-x/history').set(auth('viewer'));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('image_not_found');
  });
});
