import type { Principal } from '../domain/auth/tokens';

/** One engine's service for a subscriber: throws engine_not_found for an engine it may not use (or that does not exist). */
export type PerEngine<T> = (engine: string, principal: Principal) => T;
