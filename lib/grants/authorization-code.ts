import type { Grant } from './grant';
import { InvalidGrantError, InvalidRequestError } from '../errors';
import { invalidCode } from './refusals';
import { isCodeVerifier, verifierMatches } from '../pkce';
import { hashTokenValue } from '../tokens/token-value';
import { requireBoundKey } from '../dpop/binding';

/**
 * RFC 6749 §4.1.3: a client exchanges the authorization code it received at its redirect_uri
 * (from the authorization endpoint, see the `authorization` option) for tokens, proving with
 * PKCE (RFC 7636) that it is the client that asked for the code.
 */
export function authorizationCode(): Grant {
  return {
    type: 'authorization_code',
    parameters: ['code', 'redirect_uri', 'code_verifier'],
    async handle({ client, params, store, now, tokens, resource, dpop }) {
      const { code, code_verifier: verifier } = params;
      if (code === undefined) throw new InvalidRequestError('The code parameter is missing.');
      if (verifier !== undefined && !isCodeVerifier(verifier)) {
        throw new InvalidRequestError('The code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1).');
      }

      // Read, not used: a request refused below changes nothing (another client's above all).
      const codeHash = hashTokenValue(code);
      const record = await store.findAuthorizationCode(codeHash);
      // RFC 6749 §4.1.3: issued to this client, not expired.
      if (record === undefined || record.clientId !== client.id || record.expiresAt <= now) throw invalidCode();

      // RFC 6749 §4.1.3: redirect_uri is required if the authorization request had it, and must be identical.
      if (record.redirectUriInRequest && params.redirect_uri === undefined) {
        throw new InvalidRequestError('The redirect_uri parameter is missing: the authorization request had one.');
      }
      if (params.redirect_uri !== undefined && params.redirect_uri !== record.redirectUri) {
        throw new InvalidGrantError('The redirect_uri differs from the one of the authorization request.');
      }

      // RFC 7636 §4.6; RFC 9700 §2.1.1: a verifier without a challenge is refused too.
      if (record.codeChallenge === undefined) {
        if (verifier !== undefined) throw new InvalidGrantError('A code_verifier was sent, but the authorization request had no code_challenge.');
      } else if (verifier === undefined) {
        throw new InvalidGrantError('The code_verifier parameter is missing: the authorization request had a code_challenge.');
      } else if (!verifierMatches(verifier, record.codeChallenge, record.codeChallengeMethod ?? 'plain')) {
        throw new InvalidGrantError('The code_verifier does not match the code_challenge.');
      }

      // RFC 9449 §10: a code asked for with dpop_jkt goes only to a proof of that key.
      requireBoundKey(record.dpopJkt, dpop, 'authorization code');

      // RFC 6749 §4.1.2: the store uses the code and saves the tokens in one step; a second use
      // of the code is refused there and revokes the tokens issued from it.
      // RFC 8707 §2.2: the token is for one of the resources the authorization request named.
      // The grant is what the person consented to: with no resource named there, it stays open
      // (each token request may name any resource, or none), unlike a password or device grant,
      // which its one token request makes and so restricts (grantResources).
      const audience = resource.choose(record.resources);
      const grant = { id: record.grantId, scope: record.scope, resources: record.resources, redeems: { codeHash } };
      return tokens.issue({ client, scope: record.scope, sub: record.sub, resource: audience, grant });
    },
  };
}
