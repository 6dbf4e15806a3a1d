import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from './roles';

/** Who made a request: the token's name (what logs show) and role, never the token itself. */
export interface Principal {
  name: string;
  role: Role;
  /** The engines this token may use; absent: every engine. */
  engines?: readonly string[];
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Checks bearer tokens in constant time; keeps only their digests. */
export class TokenVerifier {
  private readonly entries: { digest: Buffer; principal: Principal }[];

  constructor(tokens: { name: string; role: Role; token: string; engines?: string[] }[]) {
    this.entries = tokens.map((t) => ({
      digest: digest(t.token),
      principal: { name: t.name, role: t.role, ...(t.engines ? { engines: Object.freeze([...t.engines]) } : {}) },
    }));
  }

  verify(token: string | undefined): Principal | undefined {
    if (!token) return undefined;
    const d = digest(token);
    let found: Principal | undefined;
    // Compare against every entry so the time taken does not say which one matched.
    for (const e of this.entries) {
      if (timingSafeEqual(e.digest, d)) found = e.principal;
    }
    return found;
  }
}

/** The token in an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
