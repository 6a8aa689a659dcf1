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
