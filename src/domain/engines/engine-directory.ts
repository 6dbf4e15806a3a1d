import type { Principal } from '../auth/tokens';
import { DomainError } from '../errors';

/** The engine the `/api/v1/…` paths (without `/engines/{engine}`) and frames without `engine` mean. */
export const DEFAULT_ENGINE = 'default';
/** `engine: ["*"]` in an events filter: every engine the token may use. */
export const ALL_ENGINES = '*';

/** May `principal` use `engine`? A token without an engine list may use every engine. */
export const mayUse = (principal: Pick<Principal, 'engines'>, engine: string): boolean => !principal.engines || principal.engines.includes(engine);

/**
 * The engines this service manages, by name, each with its scope (its services, built by the composition root).
 * Every lookup is made for a principal: an engine the token may not use is indistinguishable from one that does
 * not exist (404 `engine_not_found`), in routes, fleet views and events alike.
 */
export class EngineDirectory<S> {
  constructor(private readonly scopes: ReadonlyMap<string, S>) {
    if (!scopes.has(DEFAULT_ENGINE)) throw new Error('the engine directory needs the default engine');
  }

  /** Every engine's name, `default` first, in configuration order. */
  names(): string[] {
    return [...this.scopes.keys()];
  }

  /** The engines `principal` may use, in configuration order. */
  visibleTo(principal: Pick<Principal, 'engines'>): string[] {
    return this.names().filter((n) => mayUse(principal, n));
  }

  /** `engine`'s scope, or 404 engine_not_found (also when the token may not use it). */
  get(engine: string, principal: Pick<Principal, 'engines'>): S {
    const scope = this.scopes.get(engine);
    if (!scope || !mayUse(principal, engine)) throw new DomainError('engine_not_found', `no engine "${engine}"`, { engine });
    return scope;
  }

  /** Every scope, for the service's own work (metrics, shutdown): never for a request. */
  all(): [string, S][] {
    return [...this.scopes];
  }

  /**
   * The engines an events subscription reads: none given means `default`; `*` means every engine the token may use;
   * named ones must each be usable (404 otherwise).
   */
  eventEngines(requested: readonly string[] | undefined, principal: Pick<Principal, 'engines'>): string[] {
    if (!requested || requested.length === 0) {
      this.get(DEFAULT_ENGINE, principal);
      return [DEFAULT_ENGINE];
    }
    if (requested.includes(ALL_ENGINES)) return this.visibleTo(principal);
    for (const e of requested) this.get(e, principal);
    return [...new Set(requested)];
  }
}
