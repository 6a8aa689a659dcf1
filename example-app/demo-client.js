'use strict';

/** The public client that the home page's script plays (an SPA with PKCE). */
const DEMO_CLIENT_ID = 'example-app-demo';
const DEMO_CALLBACK_PATH = '/demo/callback';

/**
 * The clients of CLIENTS_FILE plus the home page's demo client, whose redirect URI is on the
 * origin of the issuer. A client of CLIENTS_FILE with the same id is kept as it is instead.
 * @param {any[]} clients
 * @param {string} issuer
 * @returns {any[]}
 */
function withDemoClient(clients, issuer) {
  // An unusable issuer is reported by oauthServer's option check.
  if (!URL.canParse(issuer) || clients.some((client) => client?.client_id === DEMO_CLIENT_ID)) return clients;
  return [
    ...clients,
    {
      client_id: DEMO_CLIENT_ID,
      client_name: 'Example-app home page (PKCE demo)',
      grant_types: ['authorization_code'],
      redirect_uris: [demoRedirectUri(issuer)],
      scope: 'read',
      // A public client (RFC 6749 §2.1): the browser holds no secret; PKCE protects the code.
      token_endpoint_auth_method: 'none',
    },
  ];
}

/** @param {string} issuer */
function demoRedirectUri(issuer) {
  return `${new URL(issuer).origin}${DEMO_CALLBACK_PATH}`;
}

module.exports = { DEMO_CLIENT_ID, DEMO_CALLBACK_PATH, withDemoClient, demoRedirectUri };
