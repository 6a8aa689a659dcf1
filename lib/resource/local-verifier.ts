import type { AccessTokenRecord, Store } from '../stores/store';
import { hashTokenValue } from '../tokens/token-value';
import type { AccessTokenVerifier, TokenInfo } from './token-guard';

/** Opaque tokens: the store's record under the token's hash, or nothing when it was never issued or was revoked. */
export function opaqueTokenVerifier(store: Store): AccessTokenVerifier {
  return async (token) => {
    const record = await store.findAccessToken(hashTokenValue(token));
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
