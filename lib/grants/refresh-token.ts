import type { Grant } from './grant';
import { InvalidRequestError } from '../errors';
import { invalidRefreshToken } from './refusals';
import { resolveScope } from '../scope';
import { hashTokenValue } from '../tokens/token-value';

/**
 * RFC 6749 §6: a client trades a refresh token for a new access token. The refresh token is
 * rotated on every use (RFC 9700 §4.14.2): the old one stops working, and presenting it again
 * revokes the whole grant, except by its own client within `refreshTokenReuseGrace` seconds of
 * the rotation (a retry). Lifetimes: the `refreshTokenLifetime` and `refreshTokenIdleLifetime`
 * options of the server.
 */
export function refreshToken(): Grant {
  return {
    type: 'refresh_token',
    parameters: ['refresh_token', 'scope'],
    async handle({ client, params, store, now, tokens, resource }) {
      const presented = params.refresh_token;
      if (presented === undefined) throw new InvalidRequestError('The refresh_token parameter is missing.');
      const tokenHash = hashTokenValue(presented);
      const found = await store.findRefreshToken(tokenHash);
      // RFC 6749 §6: the token is bound to the client it was issued to; another client's attempt changes nothing.
      if (found === undefined || found.record.clientId !== client.id) throw invalidRefreshToken();
      const { record } = found;
      if (record.expiresAt <= now || record.grantExpiresAt <= now) throw invalidRefreshToken();

      // RFC 6749 §6: the scope may be narrowed, never widened beyond the original grant.
      const scope = resolveScope(params.scope, record.scope);
      return tokens.issue({
        client,
        scope,
        sub: record.sub,
        // RFC 8707 §2.2: each refresh may ask for a token of another of the grant's resources.
        resource: resource.choose(record.resources),
        // RFC 9700 §4.14.2: the store rotates the token, or revokes the grant when it was rotated before (past the reuse grace).
        grant: { id: record.grantId, scope: record.scope, resources: record.resources, redeems: { refreshTokenHash: tokenHash, grantExpiresAt: record.grantExpiresAt } },
      });
    },
  };
}
