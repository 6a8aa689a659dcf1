import type { JWK } from 'jose';

/**
 * The public members of each key type (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2). A published key
 * is built from these alone, so no private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`)
 * can ever reach the JWKS, whatever else the given JWK holds.
 */
export const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['kty', 'crv', 'x', 'y'],
  RSA: ['kty', 'n', 'e'],
  OKP: ['kty', 'crv', 'x'],
};

/** The members every published key carries besides its key type's (RFC 7517 §4). */
export const PUBLISHED_KEY_MEMBERS = ['kid', 'alg', 'use'] as const;

/** The public JWK of a private one, for the JWKS (RFC 7517 §5): `use: "sig"`, its `kid` and `alg`. */
export function publicJwkOf(privateJwk: JWK, kid: string, alg: string): JWK {
  const members = PUBLIC_MEMBERS[privateJwk.kty ?? ''];
  if (members === undefined) throw new Error('a signing key must be of kty EC, RSA or OKP');
  const given = privateJwk as Record<string, unknown>;
  const publicJwk: Record<string, string> = {};
  for (const member of members) {
    const value = given[member];
    if (typeof value === 'string') publicJwk[member] = value;
  }
  return { ...publicJwk, kid, alg, use: 'sig' };
}
