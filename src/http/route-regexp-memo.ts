/**
 * express-openapi-validator 5.6 finds a request's operation by compiling every contract path with path-to-regexp's
 * `pathToRegexp`, in order, on every request, until one matches (`lookupRoute` in its `openapi.metadata.js`;
 * upstream PR cdimascio/express-openapi-validator#1217 proposes caching them). That was ~60 µs and a fifth of
 * the service's CPU per cached read. `pathToRegexp` is a pure function of its path and options, and the answer
 * (a RegExp without the `g` flag, and the parameter keys) is only read by its callers, so the same answer can be
 * handed out again: this memoizes the export that the validator (and Express's router, at start) call.
 */
type PathToRegexp = (path: unknown, options?: Record<string, unknown>) => unknown;

/** Contract and route paths are few; anything beyond this is compiled as before, not remembered. */
const MAX_ENTRIES = 1000;

// The CommonJS exports object itself: the validator reads `pathToRegexp` from it at every call.
const pathToRegexpModule = require('path-to-regexp') as { pathToRegexp: PathToRegexp & { memoized?: true } };

/** The options path-to-regexp 8 reads; anything else makes the call uncacheable (undefined). */
const OPTION_NAMES = new Set(['sensitive', 'strict', 'end', 'trailing', 'delimiter', 'encodePath']);
function optionsKey(o: Record<string, unknown> | undefined): string | undefined {
  if (!o) return '';
  let key = '';
  for (const name in o) {
    const v = o[name];
    if (!OPTION_NAMES.has(name) || (typeof v !== 'boolean' && typeof v !== 'string' && v !== undefined)) return undefined;
    key += `${name}=${String(v)};`;
  }
  return key;
}

/** Installs the memo once per process; returns how many compilations the memo saved so far (tests read it). */
export function memoizeRouteRegexps(): { hits(): number } {
  const current = pathToRegexpModule.pathToRegexp;
  if (!current.memoized) {
    const compile = current;
    const seen = new Map<string, unknown>();
    const memo = Object.assign(
      (path: unknown, options?: Record<string, unknown>) => {
        const opts = typeof path === 'string' ? optionsKey(options) : undefined;
        if (opts === undefined) return compile(path, options);
        const key = `${path}\u0000${opts}`;
        const hit = seen.get(key);
        if (hit) {
          stats.hits++;
          return hit;
        }
        const compiled = compile(path, options);
        if (seen.size < MAX_ENTRIES) seen.set(key, compiled);
        return compiled;
      },
      { memoized: true as const },
    );
    pathToRegexpModule.pathToRegexp = memo;
  }
  return { hits: () => stats.hits };
}

const stats = { hits: 0 };
