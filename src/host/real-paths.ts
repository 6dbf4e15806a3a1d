import fs from 'node:fs/promises';
import type { HostPaths } from '../domain/containers/bind-paths';

/**
 * The bind check's view of the host: this process's filesystem. It is the engine's host only when the engine
 * is local (a unix socket); with a remote engine, bind paths are checked against the wrong machine.
 */
export const realPaths: HostPaths = {
  realpath: async (p) => {
    try {
      return await fs.realpath(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
  },
};
