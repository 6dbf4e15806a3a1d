import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import fc from 'fast-check';
import { resolveReference } from '../../../src/domain/images/reference';
import { DockerHubSearch } from '../../../src/engine/docker-hub-search';
import { startProxiedService, type ProxiedService } from '../../helpers/proxied-service';
import { engineReads, validReference } from '../../helpers/reference-corpus';
import { auth } from '../../helpers/service';
import { testEnv } from '../../../support/test-env';

// Issue 13.2: a Docker Hub search is not a network probe. A term the engine would read as `host/…` makes it
// call that host's search endpoint (and its connection error came back to any viewer): such terms are 400 with
// no engine call; the engine's network errors are answered without addresses.
jest.setTimeout(60_000);
let p: ProxiedService;
let dir: string;
const ADDRESSY = /\b\d{1,3}(?:\.\d{1,3}){3}\b|\[[0-9a-f:]+\]|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+:\d+|:\d{2,5}\b|https?:\/\/|index\.docker\.io/i;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-probe-'));
  p = await startProxiedService({ DATA_DIR: dir });
});
afterAll(async () => {
  await p?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Hub search terms that name a host', () => {
  test('when a term names a host (by the engine’s rule), then 400 and the engine is never called', async () => {
    const port = testEnv().registry.split(':')[1];
    const generated = fc
      .sample(validReference, { seed: 20261130, numRuns: 400 })
      .map((r) => resolveReference(r).name)
      .filter((n) => engineReads(n).registry !== 'docker.io' || n.startsWith('docker.io/'));
    const terms = [
      'evil.com/x',
      'localhost/x',
      `127.0.0.1:${port}/seed`,
      `localhost:${port}/seed`,
      '[::1]:22/x',
      '10.0.0.1:6379/x',
      'docker.io/busybox',
      ...generated,
    ];
    const wrong: string[] = [];
    for (const term of terms.slice(0, 200)) {
      const { result, calls } = await p.calls(() => p.svc.http.get('/api/v1/images/search').query({ term }).set(auth('viewer')));
      if (result.status !== 400 || calls.length !== 0) wrong.push(`${term} → ${result.status}, ${calls.length} calls`);
    }
    expect(wrong).toEqual([]);
    expect(Math.min(terms.length, 200)).toBeGreaterThanOrEqual(100);
    console.log(`search probe: ${Math.min(terms.length, 200)} host-naming terms, all 400 with 0 engine calls`);
  });

  test('when a plain term is searched and Docker Hub cannot be reached, then the answer names no address', async () => {
    const { result, calls } = await p.calls(() => p.svc.http.get('/api/v1/images/search?term=busybox').set(auth('viewer')));
    expect(result.status).toBe(502);
    expect(calls.length).toBe(1);
    expect(result.body.detail).not.toMatch(ADDRESSY);
  });

  test('when the engine fails a search with the address it dialled, then the answer carries none of it', async () => {
    // An engine that answers as 20.10 does when the host it dials refuses: the raw message names host and port.
    const sock = path.join(dir, 'engine.sock');
    const raw = 'Get "https://10.231.9.9:5000/v1/search?q=x&n=25": dial tcp 10.231.9.9:5000: connect: connection refused';
    const fake = http.createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: raw }));
    });
    await new Promise<void>((r) => fake.listen(sock, r));
    try {
      const err = await new DockerHubSearch(new Docker({ socketPath: sock })).search('x', 5, 5000).catch((e: unknown) => e as Error);
      expect(err).toMatchObject({ code: 'registry_unreachable' });
      expect((err as Error).message).toMatch(/connection refused/);
      expect((err as Error).message).not.toMatch(ADDRESSY);
    } finally {
      await new Promise<void>((r) => fake.close(() => r()));
    }
  });
});
