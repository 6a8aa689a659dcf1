import { tokenDigest } from '../tokens/token-value';

/**
 * The hash of an initial access token (RFC 7591 §3), as `registration.initialAccessTokens`
 * lists them: SHA-256, base64url. Give the token to whoever may register and keep only this;
 * make tokens of at least 128 random bits (e.g. `randomBytes(32).toString('base64url')`).
 */
export function hashInitialAccessToken(token: string): string {
  return tokenDigest(token);
}
