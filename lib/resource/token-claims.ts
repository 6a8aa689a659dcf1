import { parseScope } from '../scope';
import type { TokenInfo } from './token-guard';

/**
 * What a route sees of a token's claims, whether a JWT's (RFC 9068 §2.2) or an introspection
 * answer's (RFC 7662 §2.2), or `undefined` when a claim is not of its type.
 */
export function tokenInfoFromClaims(claims: { client_id: unknown; scope: unknown; sub: unknown; expiresAt: number; audience?: string }): TokenInfo | undefined {
  const { client_id: clientId, scope = '', sub, expiresAt, audience } = claims;
  if (typeof clientId !== 'string' || clientId === '' || typeof scope !== 'string' || (sub !== undefined && typeof sub !== 'string')) return undefined;
  let scopes: string[];
  try {
    // RFC 9068 §2.2.3, RFC 7662 §2.2: "scope" is a space-separated string (RFC 6749 §3.3).
    scopes = scope === '' ? [] : parseScope(scope);
  } catch {
    return undefined;
  }
  return {
    clientId,
    scope: scopes,
    // RFC 9068 §2.2: for a client-credentials token sub is the client's id: there is no user then.
    ...(sub !== undefined && sub !== clientId && { sub }),
    expiresAt,
    ...(audience !== undefined && { audience }),
  };
}
