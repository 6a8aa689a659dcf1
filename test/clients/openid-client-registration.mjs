// openid-client registers its clients at the example-app (RFC 7591) through
// client.dynamicClientRegistration, which finds the registration_endpoint in the RFC 8414
// metadata: a confidential client credentials client and a public code client. The confidential
// one gets a token and calls the API; its configuration is read back (RFC 7592 §2.1) with its
// registration access token (openid-client has no call for that: fetch).
// Prints one JSON line of observations.
import * as client from 'openid-client';
import { authorizationRequest } from './openid-client-discover.mjs';

const [issuer, apiUrl] = process.argv.slice(2);
const CALLBACK = 'http://127.0.0.1/callback';

/** @type {client.DynamicClientRegistrationRequestOptions} */
const options = { algorithm: 'oauth2', execute: [client.allowInsecureRequests] };

const service = await client.dynamicClientRegistration(
  new URL(issuer),
  { client_name: 'Reporting (registered)', grant_types: ['client_credentials'], scope: 'read', token_endpoint_auth_method: 'client_secret_basic' },
  // With no argument: the client_secret the server issued.
  client.ClientSecretBasic(),
  options,
);
const app = await client.dynamicClientRegistration(
  new URL(issuer),
  {
    client_name: 'Desktop app (registered)',
    application_type: 'native',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [CALLBACK],
    scope: 'read',
    token_endpoint_auth_method: 'none',
  },
  client.None(),
  options,
);

const tokens = await client.clientCredentialsGrant(service, { scope: 'read' });
const hello = await client.fetchProtectedResource(service, tokens.access_token, new URL(apiUrl), 'GET');

const serviceMetadata = service.clientMetadata();
const configuration = await fetch(/** @type {string} */ (serviceMetadata.registration_client_uri), {
  headers: { Authorization: `Bearer ${serviceMetadata.registration_access_token}` },
});
const read = /** @type {Record<string, unknown>} */ (await configuration.json());

// The public client's authorization request is accepted: the unsigned-in browser is sent to the login page.
const { url: authorizationUrl } = await authorizationRequest(app, CALLBACK);
const authorize = await fetch(authorizationUrl, { redirect: 'manual' });

const appMetadata = app.clientMetadata();
console.log(
  JSON.stringify({
    service: {
      clientId: service.clientMetadata().client_id,
      hasSecret: typeof serviceMetadata.client_secret === 'string',
      hasRegistrationAccessToken: typeof serviceMetadata.registration_access_token === 'string',
      registrationClientUri: serviceMetadata.registration_client_uri,
    },
    app: { clientId: appMetadata.client_id, hasSecret: appMetadata.client_secret !== undefined, tokenEndpointAuthMethod: appMetadata.token_endpoint_auth_method },
    tokenScope: tokens.scope,
    hello: { status: hello.status, body: await hello.json() },
    configuration: { status: configuration.status, clientId: read.client_id, clientName: read.client_name, grantTypes: read.grant_types, scope: read.scope },
    authorize: { status: authorize.status, location: new URL(authorize.headers.get('location') ?? '', issuer).pathname },
  }),
);
