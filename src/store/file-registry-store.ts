import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RegistryCredentials, RegistryRecord, RegistryStore } from '../domain/registries/registry';

interface StoredRegistry extends RegistryRecord {
  password?: string;
  identityToken?: string;
}

interface StoreFile {
  version: 1;
  registries: StoredRegistry[];
}

/**
 * Registry logins in one JSON file (mode 0600, its folder 0700), written atomically: a temporary file
 * in the same folder, fsynced, then renamed over the old one, so a crash leaves either version whole.
 * Writes are serialized; reads come from memory after the first load.
 */
export class FileRegistryStore implements RegistryStore {
  private cache: StoredRegistry[] | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  async list(): Promise<RegistryRecord[]> {
    return (await this.load()).map(publicRecord);
  }

  async get(id: string): Promise<RegistryRecord | undefined> {
    const r = (await this.load()).find((x) => x.id === id);
    return r && publicRecord(r);
  }

  async credentials(id: string): Promise<RegistryCredentials | undefined> {
    const r = (await this.load()).find((x) => x.id === id);
    if (!r) return undefined;
    return {
      serverAddress: r.serverAddress,
      username: r.username,
      ...(r.password !== undefined ? { password: r.password } : {}),
      ...(r.identityToken !== undefined ? { identityToken: r.identityToken } : {}),
    };
  }

  add(creds: RegistryCredentials): Promise<RegistryRecord> {
    return this.serialized(async () => {
      const record: StoredRegistry = {
        id: randomUUID(),
        serverAddress: creds.serverAddress,
        username: creds.username,
        createdAt: new Date().toISOString(),
        ...(creds.password !== undefined ? { password: creds.password } : {}),
        ...(creds.identityToken !== undefined ? { identityToken: creds.identityToken } : {}),
      };
      await this.save([...(await this.load()), record]);
      return publicRecord(record);
    });
  }

  remove(id: string): Promise<boolean> {
    return this.serialized(async () => {
      const all = await this.load();
      const rest = all.filter((r) => r.id !== id);
      if (rest.length === all.length) return false;
      await this.save(rest);
      return true;
    });
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<StoredRegistry[]> {
    if (this.cache) return this.cache;
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as StoreFile;
      this.cache = Array.isArray(parsed.registries) ? parsed.registries : [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.cache = [];
    }
    return this.cache;
  }

  private async save(registries: StoredRegistry[]): Promise<void> {
    const dir = path.dirname(this.file);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
    const body: StoreFile = { version: 1, registries };
    const handle = await fs.open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(body, null, 2));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(tmp, this.file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    // rename keeps the temporary file's 0600, whatever an older file had.
    this.cache = registries;
  }
}

const publicRecord = (r: StoredRegistry): RegistryRecord => ({
  id: r.id,
  serverAddress: r.serverAddress,
  username: r.username,
  createdAt: r.createdAt,
});
