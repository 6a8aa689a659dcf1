// openid-client configured from the server's RFC 8414 metadata alone, over http on loopback.
import * as client from 'openid-client';

/**
 * @param {string} issuer
 * @param {string} clientId
 * @param {string | undefined} secret
 * @param {client.ClientAuth} auth
 */
export const discover = (issuer, clientId, secret, auth) =>
  client.discovery(new URL(issuer), clientId, secret, auth, {
    algorithm: 'oauth2',
    execute: [client.allowInsecureRequests],
  });

/**
 * An authorization request for scope read with PKCE (S256) and a state, with `extra` parameters.
 * @param {client.Configuration} config
 * @param {string} redirectUri
 * @param {Record<string, string>} [extra]
 */
export async function authorizationRequest(config, redirectUri, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'read',
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url, verifier, state };
}
