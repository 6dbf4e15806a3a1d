import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { auth, startService, type TestService } from '../helpers/service';

// The access log names the path the client asked for: routers mounted at /api/v1 must not cut the prefix off.
const lines: Record<string, unknown>[] = [];
let svc: TestService;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  svc = await startService({ LOG_LEVEL: 'info' }, { logger: pino({ level: 'info' }, sink) });
});
afterAll(() => svc.close());

test('when API routes and a health route answer, then each access log line has the full path without the query', async () => {
  await request(svc.baseUrl).get('/api/v1/jobs?kind=pull').set(auth('viewer')).expect(200);
  await request(svc.baseUrl).get('/api/v1/containers/not%20valid').set(auth('viewer')).expect(400);
  await request(svc.baseUrl).get('/healthz').expect(200);
  const paths = lines.filter((l) => l.msg === 'request').map((l) => l.path);
  expect(paths).toEqual(expect.arrayContaining(['/api/v1/jobs', '/api/v1/containers/not%20valid', '/healthz']));
});
