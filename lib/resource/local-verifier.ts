import { setBounded } from '../bounded-map';
import type { AccessTokenRecord, Store } from '../stores/store';
import { looksLikeJwt } from '../tokens/jwt-access-token';
import type { TokenStoreKey } from '../tokens/token-lookup';
import type { AccessTokenVerifier, TokenInfo } from './token-guard';

/** Signature checks remembered, so that a JWT seen before costs a map lookup (about 150 bytes each). */
const VERIFIED_JWTS_KEPT = 10_000;

/**
 * Tokens this server issued: the store's record decides, for opaque tokens and JWTs alike, so
 * that a revoked JWT is refused as soon as the store (or its invalidation-aware cache) knows.
 * A JWT's signature is checked once, then remembered by its value (never a forged one).
 */
export function localTokenVerifier(store: Store, storeKey: TokenStoreKey): AccessTokenVerifier {
  const verifiedJwts = new Map<string, string>();
  const keyOf = async (token: string): Promise<string | undefined> => {
    if (!looksLikeJwt(token)) return storeKey(token);
    const known = verifiedJwts.get(token);
    if (known !== undefined) return known;
    const key = await storeKey(token);
    if (key !== undefined) setBounded(verifiedJwts, VERIFIED_JWTS_KEPT, token, key);
    return key;
  };
  return async (token) => {
    const key = await keyOf(token);
    const record = key === undefined ? undefined : await store.findAccessToken(key);
    return record === undefined ? undefined : tokenInfo(record);
  };
}

/** What a route learns of a token: its record without the store's bookkeeping. */
export function tokenInfo(record: AccessTokenRecord): TokenInfo {
  return {
    clientId: record.clientId,
    scope: record.scope,
    ...(record.sub !== undefined && { sub: record.sub }),
    expiresAt: record.expiresAt,
    ...(record.audience !== undefined && { audience: record.audience }),
  };
}
