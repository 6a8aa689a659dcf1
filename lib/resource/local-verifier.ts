import type { AccessTokenRecord, Store } from '../stores/store';
import type { TokenStoreKey } from '../tokens/token-lookup';
import type { AccessTokenVerifier, TokenInfo } from './token-guard';

/**
 * Tokens this server issued: the store's record decides, for opaque tokens and JWTs alike, so
 * that a revoked JWT is refused as soon as the store (or its invalidation-aware cache) knows.
 */
export function localTokenVerifier(store: Store, storeKey: TokenStoreKey): AccessTokenVerifier {
  return async (token) => {
    const key = await storeKey(token);
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
    ...(record.jkt !== undefined && { cnf: { jkt: record.jkt } }),
  };
}
