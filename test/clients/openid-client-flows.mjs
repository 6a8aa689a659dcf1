// Drives the example-app with openid-client (an ES module, hence a child process of the jest
// test): discovery through RFC 8414 metadata, client credentials, introspection, revocation.
// Prints one JSON line of observations for the test to assert on.
import * as client from 'openid-client';
import { discover } from './openid-client-discover.mjs';

const [issuer, apiUrl] = process.argv.slice(2);

const service = await discover(issuer, 'svc-reporting', 'reporting-secret-change-me', client.ClientSecretBasic());
const gateway = await discover(issuer, 'api-gateway', 'gateway-secret-change-me', client.ClientSecretBasic());
const poster = await discover(issuer, 'svc-admin', 'admin-secret-change-me', client.ClientSecretPost());

const metadata = service.serverMetadata();
const tokens = await client.clientCredentialsGrant(service, { scope: 'read' });
const postTokens = await client.clientCredentialsGrant(poster, { scope: 'admin' });
/** The status of GET apiUrl with the token; openid-client throws on a Bearer challenge. */
const api = async (/** @type {string} */ token) => {
  try {
    return (await client.fetchProtectedResource(service, token, new URL(apiUrl), 'GET')).status;
  } catch (error) {
    if (error instanceof client.WWWAuthenticateChallengeError) return error.response.status;
    throw error;
  }
};

const observations = {
  issuer: metadata.issuer,
  tokenEndpoint: metadata.token_endpoint,
  tokenType: tokens.token_type,
  scope: tokens.scope,
  expiresIn: tokens.expires_in,
  postScope: postTokens.scope,
  apiBefore: await api(tokens.access_token),
  introspectedByOwner: await client.tokenIntrospection(service, tokens.access_token),
  introspectedByGateway: await client.tokenIntrospection(gateway, tokens.access_token),
};
await client.tokenRevocation(service, tokens.access_token, { token_type_hint: 'access_token' });
const afterRevocation = {
  introspectedAfterRevocation: await client.tokenIntrospection(gateway, tokens.access_token),
  apiAfter: await api(tokens.access_token),
};

console.log(JSON.stringify({ ...observations, ...afterRevocation }));
