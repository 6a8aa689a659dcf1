import { setBounded } from '../bounded-map';
import { looksLikeJwt, type JwtAccessTokens } from './jwt-access-token';
import { hashTokenValue, tokenDigest } from './token-value';

/**
 * Where the store keeps the record of a presented token: the hash of an opaque value, or, for
 * a JWT this server signed, the hash of its `jti` (`undefined` for a JWT it did not sign).
 */
export type TokenStoreKey = (token: string) => Promise<string | undefined>;

/** Signature checks remembered, so that a JWT seen before costs a digest and a map lookup (about 200 bytes each). */
const VERIFIED_JWTS_KEPT = 10_000;

/**
 * One per server, shared by requireToken, introspection and revocation: a JWT's signature is
 * checked once, then remembered under the digest of its value (never the usable token itself,
 * never a forged one). The record's expiry and revocation are the store's to say.
 */
export function tokenStoreKey(jwt: JwtAccessTokens | undefined): TokenStoreKey {
  const verifiedJwts = new Map<string, string>();
  return async (token) => {
    if (!looksLikeJwt(token)) return hashTokenValue(token);
    if (jwt === undefined) return undefined;
    const digest = tokenDigest(token);
    const known = verifiedJwts.get(digest);
    if (known !== undefined) return known;
    const key = await jwt.storeKey(token);
    if (key !== undefined) setBounded(verifiedJwts, VERIFIED_JWTS_KEPT, digest, key);
    return key;
  };
}
