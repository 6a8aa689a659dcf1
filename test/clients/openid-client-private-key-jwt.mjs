// openid-client authenticating with a private key (RFC 7523 §2.2, its PrivateKeyJwt()), configured
// from the server's RFC 8414 metadata alone: client credentials, introspection, revocation, and the
// JWT bearer grant (RFC 7523 §2.1) with an assertion of a trusted issuer.
import * as client from 'openid-client';
import { importJWK } from 'jose';

const [issuer, clientId, privateJwkJson, idpAssertion] = process.argv.slice(2);
const privateJwk = JSON.parse(privateJwkJson);
const key = /** @type {client.CryptoKey} */ (await importJWK(privateJwk, privateJwk.alg));
const config = await client.discovery(new URL(issuer), clientId, undefined, client.PrivateKeyJwt({ key, kid: privateJwk.kid }), {
  algorithm: 'oauth2',
  execute: [client.allowInsecureRequests],
});
const metadata = config.serverMetadata();

const tokens = await client.clientCredentialsGrant(config, { scope: 'read' });
const introspected = await client.tokenIntrospection(config, tokens.access_token);
await client.tokenRevocation(config, tokens.access_token);
const afterRevocation = await client.tokenIntrospection(config, tokens.access_token);

const exchanged = await client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:jwt-bearer', { assertion: idpAssertion, scope: 'read' });
const exchangedIntrospected = await client.tokenIntrospection(config, exchanged.access_token);

console.log(
  JSON.stringify({
    authMethods: metadata.token_endpoint_auth_methods_supported,
    signingAlgs: metadata.token_endpoint_auth_signing_alg_values_supported,
    scope: tokens.scope,
    introspected: { active: introspected.active, client_id: introspected.client_id },
    afterRevocation: { active: afterRevocation.active },
    exchanged: { scope: exchanged.scope, sub: exchangedIntrospected.sub, client_id: exchangedIntrospected.client_id },
  }),
);
