import { resolveBinds, type HostPaths } from '../../../src/domain/containers/bind-paths';

/** A host whose symlinks are a table: each path's real path, undefined when absent. */
const host = (links: Record<string, string>): HostPaths => ({
  realpath: async (p) => {
    for (const [from, to] of Object.entries(links).sort((a, b) => b[0].length - a[0].length)) {
      if (p === from || p.startsWith(`${from}/`)) return to === '' ? undefined : to + p.slice(from.length);
    }
    return p;
  },
});
const roots = [
  { path: '/srv/data', writable: true },
  { path: '/srv/conf', writable: false },
];
const bind = (source: string, readOnly = false) => [{ source, target: '/d', readOnly }];

describe('resolveBinds', () => {
  test('when a source is a symlink out of every root, then bind_path_escapes', async () => {
    await expect(resolveBinds(bind('/srv/data/link'), roots, host({ '/srv/data/link': '/etc' }))).rejects.toMatchObject({
      code: 'bind_path_escapes',
    });
  });

  test('when a root is itself a symlink, then sources under it are compared with its real path and sent resolved', async () => {
    const h = host({ '/srv/data': '/mnt/disk1/data' });
    expect(await resolveBinds(bind('/srv/data/app'), roots, h)).toEqual([{ source: '/mnt/disk1/data/app', target: '/d', readOnly: false }]);
  });

  test('when a link in a writable root leads into a read-only root, then the bind is read-only', async () => {
    const h = host({ '/srv/data/conf': '/srv/conf' });
    expect(await resolveBinds(bind('/srv/data/conf'), roots, h)).toEqual([{ source: '/srv/conf', target: '/d', readOnly: true }]);
  });

  test('when a source does not exist, then invalid_request', async () => {
    await expect(resolveBinds(bind('/srv/data/none'), roots, host({ '/srv/data/none': '' }))).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
