/**
 * Every runtime patch of a dependency's internals, in one place. Each was written against one release line of
 * its package and relies on internals that a release may change silently, so each checks, when this module loads,
 * the installed package's version against the one it was written for (same major.minor):
 *
 * - path-to-regexp `pathToRegexp` export, memoized (express-openapi-validator compiles every contract path on
 *   every request). A mismatch falls back to no memo: correct, only slower.
 * - docker-modem `dial`, wrapped per client, twice: engine call timing (metrics) and engine write watching (the
 *   read caches drop what they hold at every write the service makes). A mismatch fails at start: the read
 *   caches would serve stale answers after our own writes.
 * - ws `WebSocket#send`, wrapped per socket to count frames sent. A mismatch falls back to not counting.
 *
 * A mismatch is reported with process.emitWarning (stderr) — or thrown — never ignored. When a dependency is
 * updated, re-read the patched code, then move `writtenFor` here.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface PatchedPackage {
  pkg: 'path-to-regexp' | 'docker-modem' | 'ws';
  /** The `major.minor` release line whose internals the patch was written against. */
  writtenFor: string;
  /** What the patch relies on, for the message when it no longer holds. */
  relies: string;
}

export const PATCHED: Record<PatchedPackage['pkg'], PatchedPackage> = {
  'path-to-regexp': {
    pkg: 'path-to-regexp',
    writtenFor: '8.4',
    relies: 'callers read `pathToRegexp` from the CommonJS exports object at every call; it is pure',
  },
  'docker-modem': {
    pkg: 'docker-modem',
    writtenFor: '5.0',
    relies: 'every dockerode call passes `modem.dial(options, callback)`, `options.path`/`method` set',
  },
  ws: { pkg: 'ws', writtenFor: '8.23', relies: 'every frame to a client passes `WebSocket#send`' },
};

/** The version in the installed package's package.json (found from its entry point: some packages export no ./package.json). */
export function installedVersion(pkg: string): string {
  let dir = path.dirname(require.resolve(pkg));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === pkg && manifest.version) return manifest.version;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json found for ${pkg}`);
    dir = up;
  }
}

export type GuardResult = { ok: true } | { ok: false; reason: string };

/** Whether `installed` is on the release line the patch was written for. */
export function checkVersion(p: PatchedPackage, installed: string): GuardResult {
  const line = installed.split('.').slice(0, 2).join('.');
  if (line === p.writtenFor) return { ok: true };
  return { ok: false, reason: `${p.pkg} ${installed} is installed, its runtime patch was written for ${p.writtenFor}.x (it relies on: ${p.relies})` };
}

function checkInstalled(p: PatchedPackage): GuardResult {
  try {
    return checkVersion(p, installedVersion(p.pkg));
  } catch (err) {
    return { ok: false, reason: `${p.pkg}: version unknown (${(err as Error).message})` };
  }
}

/** Checked once, when this module loads. */
const guards = {
  'path-to-regexp': checkInstalled(PATCHED['path-to-regexp']),
  'docker-modem': checkInstalled(PATCHED['docker-modem']),
  ws: checkInstalled(PATCHED.ws),
};

const warned = new Set<string>();
function fallBack(result: { ok: false; reason: string }, consequence: string): void {
  const message = `${result.reason}; ${consequence}`;
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code: 'DOCKHAND_PATCH_SKIPPED' });
}

// ---------------------------------------------------------------------------------------------------------------
// path-to-regexp: the `pathToRegexp` export, memoized.
//
// express-openapi-validator 5.6 finds a request's operation by compiling every contract path with path-to-regexp's
// `pathToRegexp`, in order, on every request, until one matches (`lookupRoute` in its `openapi.metadata.js`;
// upstream PR cdimascio/express-openapi-validator#1217 proposes caching them). That was ~60 µs and a fifth of
// the service's CPU per cached read. `pathToRegexp` is a pure function of its path and options, and the answer
// (a RegExp without the `g` flag, and the parameter keys) is only read by its callers, so the same answer can be
// handed out again.

type PathToRegexp = (path: unknown, options?: Record<string, unknown>) => unknown;

/** Contract and route paths are few; anything beyond this is compiled as before, not remembered. */
const MAX_ROUTE_ENTRIES = 1000;

/** The options path-to-regexp 8 reads; anything else makes the call uncacheable (undefined). */
const ROUTE_OPTION_NAMES = new Set(['sensitive', 'strict', 'end', 'trailing', 'delimiter', 'encodePath']);
function optionsKey(o: Record<string, unknown> | undefined): string | undefined {
  if (!o) return '';
  let key = '';
  for (const name in o) {
    const v = o[name];
    if (!ROUTE_OPTION_NAMES.has(name) || (typeof v !== 'boolean' && typeof v !== 'string' && v !== undefined)) return undefined;
    key += `${name}=${String(v)};`;
  }
  return key;
}

const routeStats = { hits: 0 };

/** Installs the memo once per process; returns how many compilations it saved so far (tests read it). */
export function memoizeRouteRegexps(guard: GuardResult = guards['path-to-regexp']): { installed: boolean; hits(): number } {
  if (!guard.ok) {
    fallBack(guard, 'route regexps are compiled on every request (slower, still correct)');
    return { installed: false, hits: () => routeStats.hits };
  }
  // The CommonJS exports object itself: the validator reads `pathToRegexp` from it at every call.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the mutable exports object is the point
  const mod = require('path-to-regexp') as { pathToRegexp: PathToRegexp & { memoized?: true } };
  const current = mod.pathToRegexp;
  if (!current.memoized) {
    const compile = current;
    const seen = new Map<string, unknown>();
    const memo = (path: unknown, options?: Record<string, unknown>) => {
      const opts = typeof path === 'string' ? optionsKey(options) : undefined;
      if (typeof path !== 'string' || opts === undefined) return compile(path, options);
      const key = `${path}\u0000${opts}`;
      const hit = seen.get(key);
      if (hit) {
        routeStats.hits++;
        return hit;
      }
      const compiled = compile(path, options);
      if (seen.size < MAX_ROUTE_ENTRIES) seen.set(key, compiled);
      return compiled;
    };
    mod.pathToRegexp = Object.assign(memo, { memoized: true as const });
  }
  return { installed: true, hits: () => routeStats.hits };
}

// ---------------------------------------------------------------------------------------------------------------
// docker-modem: `dial`, the one place every dockerode call passes.

export type DialCallback = (err: unknown, data: unknown) => void;
export type Dial = (options: { path: string; method: string }, callback: DialCallback) => unknown;

/**
 * Wraps one dockerode client's `modem.dial`: `wrap` gets the current dial and returns its replacement. Throws
 * when docker-modem is not the version this was written for: the read caches depend on seeing every write.
 */
export function wrapModemDial(docker: { modem: unknown }, wrap: (dial: Dial) => Dial, guard: GuardResult = guards['docker-modem']): void {
  if (!guard.ok) throw new Error(`${guard.reason}: refusing to start (the read caches would not see the service's own writes)`);
  const modem = docker.modem as { dial: Dial };
  if (typeof modem.dial !== 'function') throw new Error('docker-modem has no dial(): refusing to start');
  modem.dial = wrap(modem.dial.bind(modem));
}

// ---------------------------------------------------------------------------------------------------------------
// ws: `WebSocket#send`, per socket.

interface Sender {
  send: (...args: never[]) => unknown;
}

/** Calls `onSend` before each frame `socket.send`s; with another ws release line, sends are not counted. */
export function countSends(socket: Sender, onSend: () => void, guard: GuardResult = guards.ws): boolean {
  if (!guard.ok) {
    fallBack(guard, 'WebSocket frames sent are not counted');
    return false;
  }
  const send = socket.send.bind(socket);
  socket.send = (...args: never[]) => {
    onSend();
    return send(...args);
  };
  return true;
}
