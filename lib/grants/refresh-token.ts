import type { Grant } from './grant';
import { InvalidGrantError, InvalidRequestError } from '../errors';
import { resolveScope } from '../scope';
import { hashTokenValue } from '../tokens/token-value';

/**
 * RFC 6749 §6: a client trades a refresh token for a new access token. The refresh token is
 * rotated on every use (RFC 9700 §4.14.2): the old one stops working, and presenting it again
 * revokes the whole grant. Lifetimes: the `refreshTokenLifetime` and
 * `refreshTokenIdleLifetime` options of the server.
 */
export function refreshToken(): Grant {
  const invalidToken = () => new InvalidGrantError('The refresh token is invalid, expired, revoked or was issued to another client.');
  return {
    type: 'refresh_token',
    parameters: ['refresh_token', 'scope'],
    async handle({ client, params, store, now, tokens }) {
      const presented = params.refresh_token;
      if (presented === undefined) throw new InvalidRequestError('The refresh_token parameter is missing.');
      const tokenHash = hashTokenValue(presented);
      const found = await store.findRefreshToken(tokenHash);
      if (found === undefined) throw invalidToken();
      const { record } = found;
      // RFC 9700 §4.14.2: a rotated token presented again means it leaked: revoke the grant.
      if (found.rotated) {
        await store.revokeGrant(record.grantId);
        throw invalidToken();
      }
      // RFC 6749 §6: the token is bound to the client it was issued to.
      if (record.clientId !== client.id || record.expiresAt <= now || record.grantExpiresAt <= now) throw invalidToken();

      // RFC 6749 §6: the scope may be narrowed, never widened beyond the original grant.
      const scope = resolveScope(params.scope, record.scope);
      return tokens.issue({
        client,
        scope,
        sub: record.sub,
        grant: { id: record.grantId, scope: record.scope, rotates: { tokenHash, grantExpiresAt: record.grantExpiresAt } },
      });
    },
  };
}
