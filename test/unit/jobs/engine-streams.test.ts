import { Readable } from 'node:stream';
import { jsonLines } from '../../../src/engine/json-lines';
import { encodeRegistryAuth } from '../../../src/engine/registry-auth';

const collect = async (it: AsyncIterable<unknown>) => {
  const out: unknown[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('jsonLines', () => {
  test('when lines and multi-byte characters are split across chunks, then each object comes out whole', async () => {
    const text = '{"status":"a"}\r\n{"status":"é€"}\n\n{"status":"c"}';
    const bytes = Buffer.from(text, 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(await collect(jsonLines(Readable.from(chunks)))).toEqual([{ status: 'a' }, { status: 'é€' }, { status: 'c' }]);
  });

  test('when a line never ends and grows past the bound, then it fails instead of buffering without end', async () => {
    const endless = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) yield Buffer.alloc(1024, 'x');
      })(),
    );
    await expect(collect(jsonLines(endless, 10 * 1024))).rejects.toMatchObject({ code: 'engine_error' });
  });

  test('when a line is not JSON, then it fails with engine_error', async () => {
    await expect(collect(jsonLines(Readable.from([Buffer.from('<html>\n')])))).rejects.toMatchObject({ code: 'engine_error' });
  });
});

describe('encodeRegistryAuth', () => {
  const decode = (s: string) => JSON.parse(Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));

  test('when a password has characters that base64 turns into + and /, then the header is padded base64url the engine can decode', () => {
    const creds = { serverAddress: '127.0.0.1:5056', username: 'seeduser', password: 'p@ss:w/rd+=?>>>' };
    const header = encodeRegistryAuth(creds);
    expect(header).toMatch(/^[A-Za-z0-9_-]+=*$/);
    expect(header.length % 4).toBe(0);
    expect(decode(header)).toEqual({ username: 'seeduser', password: 'p@ss:w/rd+=?>>>', serveraddress: '127.0.0.1:5056' });
  });

  test('when an identity token is stored, then it is sent as identitytoken without a password', () => {
    expect(decode(encodeRegistryAuth({ serverAddress: 'r.example', username: '<token>', identityToken: 'tok' }))).toEqual({
      username: '<token>',
      identitytoken: 'tok',
      serveraddress: 'r.example',
    });
  });

  test('when there are no credentials, then an empty object is sent', () => {
    expect(decode(encodeRegistryAuth(undefined))).toEqual({});
  });
});
