import { looksLikeJwt, type JwtAccessTokens } from './jwt-access-token';
import { hashTokenValue } from './token-value';

/**
 * Where the store keeps the record of a presented token: the hash of an opaque value, or, for
 * a JWT this server signed, the hash of its `jti` (`undefined` for a JWT it did not sign).
 */
export type TokenStoreKey = (token: string) => Promise<string | undefined>;

export function tokenStoreKey(jwt: JwtAccessTokens | undefined): TokenStoreKey {
  return async (token) => {
    if (!looksLikeJwt(token)) return hashTokenValue(token);
    return jwt === undefined ? undefined : jwt.storeKey(token);
  };
}
