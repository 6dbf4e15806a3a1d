import type Docker from 'dockerode';
import { wrapModemDial } from '../patches/third-party';

export type EngineCallObserver = (call: { method: string; route: string; status: string; seconds: number }) => void;

/** Engine endpoints whose second segment is a verb, not an object's id or name. */
const COLLECTION_VERBS = new Set(['json', 'create', 'prune', 'search', 'load', 'get', 'df', 'info', 'version', 'events', 'build', 'auth']);
/** Sub-resources of one object; any other last segment is part of a name (image names carry slashes). */
const OBJECT_VERBS = new Set([
  'json',
  'history',
  'push',
  'tag',
  'start',
  'stop',
  'restart',
  'kill',
  'pause',
  'unpause',
  'rename',
  'logs',
  'stats',
  'wait',
  'attach',
  'exec',
  'resize',
  'top',
  'changes',
  'export',
  'update',
  'archive',
  'get',
]);

/**
 * The route template of an engine path, so metric labels stay bounded: `/containers/abc/json?all=1` →
 * `/containers/{id}/json`, `/images/127.0.0.1:5000/a/b:1/json` → `/images/{name}/json`, `/_ping` → `/_ping`.
 */
export function engineRoute(rawPath: string): string {
  const p = rawPath.split('?')[0].replace(/^\/v\d+\.\d+(?=\/)/, '');
  const seg = p.split('/').filter(Boolean);
  if (seg.length === 0) return '/';
  const resource = /^[a-z_]{1,16}$/.test(seg[0]) ? seg[0] : '{other}';
  if (seg.length === 1) return `/${resource}`;
  if (seg.length === 2 && COLLECTION_VERBS.has(seg[1])) return `/${resource}/${seg[1]}`;
  const last = seg[seg.length - 1];
  if (seg.length >= 3 && OBJECT_VERBS.has(last)) return `/${resource}/{id}/${last}`;
  return `/${resource}/{id}`;
}

/**
 * Times every call a dockerode client makes, at the one place they all pass (docker-modem's `dial`): per client
 * instance, so each service has its own figures. For streams the time is until the engine answered the headers.
 */
export function timeEngineCalls(docker: Docker, observe: EngineCallObserver): void {
  wrapModemDial(docker, (dial) => (options, callback) => {
    const route = engineRoute(options.path);
    const method = options.method;
    const start = process.hrtime.bigint();
    return dial(options, (err, data) => {
      const e = err as { statusCode?: number } | null;
      const status = e ? (typeof e.statusCode === 'number' ? String(e.statusCode) : 'error') : 'ok';
      observe({ method, route, status, seconds: Number(process.hrtime.bigint() - start) / 1e9 });
      callback(err, data);
    });
  });
}

/** Engine calls that only read; every other method may change what the engine reports. */
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Calls `onWrite` when a call that may change engine state starts, and again when it ends: for a plain call when
 * its answer came, for a stream (a pull, a push, an attach) when the stream ends. Read caches count both as changes.
 */
export function watchEngineWrites(docker: Docker, onWrite: () => void): void {
  wrapModemDial(docker, (dial) => (options, callback) => {
    if (READ_METHODS.has(options.method)) return dial(options, callback);
    onWrite();
    return dial(options, (err, data) => {
      const stream = data as { once?: (event: string, l: () => void) => unknown; readableEnded?: boolean } | undefined;
      if (!err && typeof stream?.once === 'function' && stream.readableEnded === false) {
        let ended = false;
        const end = () => {
          if (!ended) onWrite();
          ended = true;
        };
        stream.once('end', end);
        stream.once('close', end);
      }
      onWrite();
      callback(err, data);
    });
  });
}
