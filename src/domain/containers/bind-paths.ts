import { DomainError } from '../errors';
import type { ContainerSpec } from './container';
import { rootOf, type BindRoot } from './create-policy';

/** The host's filesystem as the bind check needs it: the real path (symlinks resolved), or undefined if absent. */
export interface HostPaths {
  realpath(p: string): Promise<string | undefined>;
}

/**
 * Binds checked by where they really lead: the source and every allowed root are resolved to real paths, and a
 * source whose real path is under no root is refused (a symlink planted by a container in a writable root would
 * otherwise bind any host path). The engine is sent the real path, read-only unless its real root is writable.
 */
export async function resolveBinds(binds: ContainerSpec['binds'], roots: readonly BindRoot[], paths: HostPaths): Promise<ContainerSpec['binds']> {
  if (binds.length === 0) return binds;
  const realRoots: BindRoot[] = [];
  for (const r of roots) {
    const real = await paths.realpath(r.path);
    if (real !== undefined) realRoots.push({ path: real, writable: r.writable });
  }
  const out: ContainerSpec['binds'] = [];
  for (const b of binds) {
    const real = await paths.realpath(b.source);
    if (real === undefined) throw new DomainError('invalid_request', `binds.source ${b.source} does not exist on the host`);
    const root = rootOf(real, realRoots);
    if (!root) {
      throw new DomainError('bind_path_escapes', `binds.source ${b.source} resolves to ${real}, outside every allowed bind path`, {
        source: b.source,
      });
    }
    out.push({ source: real, target: b.target, readOnly: b.readOnly || !root.writable });
  }
  return out;
}
