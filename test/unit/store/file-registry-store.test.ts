import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileRegistryStore } from '../../../src/store/file-registry-store';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-store-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('FileRegistryStore', () => {
  test('when logins are added at once, then every one is written, the file is 0600 and no temporary file is left', async () => {
    const file = path.join(dir, 'nested', 'registries.json');
    const store = new FileRegistryStore(file);
    const added = await Promise.all(
      ['a', 'b', 'c', 'd'].map((u) => store.add({ serverAddress: 'r.example:5000', username: u, password: `secret-${u}` })),
    );
    expect(new Set(added.map((r) => r.id)).size).toBe(4);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['registries.json']);
    const reopened = new FileRegistryStore(file);
    expect((await reopened.list()).map((r) => r.username).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(await reopened.credentials(added[2].id)).toEqual({ serverAddress: 'r.example:5000', username: 'c', password: 'secret-c' });
  });

  test('when records are listed or read, then they never carry the secret', async () => {
    const store = new FileRegistryStore(path.join(dir, 'registries.json'));
    const rec = await store.add({ serverAddress: 'r.example', username: 'u', identityToken: 'tok-123' });
    expect(JSON.stringify([rec, await store.get(rec.id), await store.list()])).not.toContain('tok-123');
  });

  test('when a login is removed, then it is gone after a restart too', async () => {
    const file = path.join(dir, 'registries.json');
    const store = new FileRegistryStore(file);
    const rec = await store.add({ serverAddress: 'r.example', username: 'u', password: 'p' });
    expect(await store.remove(rec.id)).toBe(true);
    expect(await store.remove(rec.id)).toBe(false);
    expect(await new FileRegistryStore(file).get(rec.id)).toBeUndefined();
  });
});
