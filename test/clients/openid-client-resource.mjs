// openid-client asks the example-app for a token for one resource (RFC 8707) and checks it as a
// resource server would (RFC 9068), with jose against the jwks_uri it discovered; then it
// introspects and revokes the JWT, and the API refuses it. Prints one JSON line.
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { discover } from './openid-client-discover.mjs';

const [issuer, origin] = process.argv.slice(2);
const resource = `${origin}/api`;

const service = await discover(issuer, 'svc-reporting', 'reporting-secret-change-me', client.ClientSecretBasic());
const tokens = await client.clientCredentialsGrant(service, { scope: 'read write', resource });
const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(/** @type {string} */ (service.serverMetadata().jwks_uri))), {
  issuer,
  audience: resource,
  typ: 'at+jwt',
});
const api = async () => {
  try {
    return (await client.fetchProtectedResource(service, tokens.access_token, new URL(`${origin}/api/hello`), 'GET')).status;
  } catch (error) {
    if (error instanceof client.WWWAuthenticateChallengeError) return error.response.status;
    throw error;
  }
};
let unknownResource;
try {
  await client.clientCredentialsGrant(service, { resource: 'https://elsewhere.example/api' });
} catch (error) {
  unknownResource = error instanceof client.ResponseBodyError ? error.error : String(error);
}

const apiBefore = await api();
const introspected = await client.tokenIntrospection(service, tokens.access_token);
await client.tokenRevocation(service, tokens.access_token);
console.log(
  JSON.stringify({
    scope: tokens.scope,
    typ: protectedHeader.typ,
    claims: { aud: payload.aud, client_id: payload.client_id, sub: payload.sub, scope: payload.scope },
    apiBefore,
    introspected: { active: introspected.active, aud: introspected.aud },
    apiAfterRevocation: await api(),
    unknownResource,
  }),
);
