import type { Request } from 'express';
import { DomainError } from '../domain/errors';
import { isRole, roleAllows } from '../domain/auth/roles';
import { bearerToken, type Principal, type TokenVerifier } from '../domain/auth/tokens';

const PRINCIPAL = Symbol('principal');
type WithPrincipal = Request & { [PRINCIPAL]?: Principal };

/** The token that made this request; only set on routes whose contract asks for one. */
export function principalOf(req: Request): Principal {
  const p = (req as WithPrincipal)[PRINCIPAL];
  if (!p) throw new DomainError('internal_error', 'route has no authenticated principal');
  return p;
}

/** Status-carrying errors, the shape express-openapi-validator's security middleware keeps. */
const rejection = (status: 401 | 403, message: string) => Object.assign(new Error(message), { status });

/**
 * The security handler for the contract's `bearerAuth` scheme. The scope of an operation's requirement
 * names the least role it needs, so the permission matrix lives in openapi.yaml, nowhere else.
 */
export function bearerAuthHandler(verifier: TokenVerifier) {
  return (req: Request, scopes: string[]): true => {
    const principal = verifier.verify(bearerToken(req.headers.authorization));
    if (!principal) throw rejection(401, 'a valid bearer token is required');
    (req as WithPrincipal)[PRINCIPAL] = principal;
    const need = scopes.find(isRole) ?? 'admin';
    if (!roleAllows(principal.role, need)) {
      throw rejection(403, `this operation needs the ${need} role; token "${principal.name}" has ${principal.role}`);
    }
    return true;
  };
}

/**
 * The same check without an answer: the request's principal when its token is valid and its role allows `need`
 * (and the principal is then the request's, as above), or undefined. For the fast read path, which leaves every
 * refusal to the contract validator.
 */
export function admit(verifier: TokenVerifier, req: Request, need: Parameters<typeof roleAllows>[1]): Principal | undefined {
  const principal = verifier.verify(bearerToken(req.headers.authorization));
  if (!principal || !roleAllows(principal.role, need)) return undefined;
  (req as WithPrincipal)[PRINCIPAL] = principal;
  return principal;
}

/** The request's principal when its bearer token is valid (and it is then the request's, as above), whatever its role. */
export function identify(verifier: TokenVerifier, req: Request): Principal | undefined {
  const principal = verifier.verify(bearerToken(req.headers.authorization));
  if (principal) (req as WithPrincipal)[PRINCIPAL] = principal;
  return principal;
}

/** For handlers whose rule depends on more than the route (e.g. redacting for non-admins). */
export function requireRole(req: Request, role: Parameters<typeof roleAllows>[1]): Principal {
  const p = principalOf(req);
  if (!roleAllows(p.role, role)) throw new DomainError('forbidden', `this needs the ${role} role`);
  return p;
}
