// oauth4webapi as a resource server in front of the example-app's tokens: validateJwtAccessToken
// checks what openid-client, a client, never checks: the RFC 9068 §4 claims a resource server
// requires (iss, exp, aud, sub, iat, jti, client_id; typ at+jwt; the key from jwks_uri), and for
// a DPoP-bound token the proof against the token (RFC 9449 §4.3 with ath, §6.1 cnf.jkt). The
// client side is oauth4webapi too: a Bearer and a DPoP token by client credentials for one
// resource (RFC 8707), then requests with the right proof, none, another key's, and a replayed
// proof at the example-app itself. Prints one JSON line of observations.
import { createServer } from 'node:http';
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint, exportJWK } from 'jose';

const [issuer, origin] = process.argv.slice(2);
const audience = `${origin}/api`;
const insecure = { [oauth.allowInsecureRequests]: true };
const as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), { ...insecure, algorithm: 'oauth2' }));
/** @type {oauth.Client} */
const client = { client_id: 'svc-reporting' };
const clientAuth = oauth.ClientSecretBasic('reporting-secret-change-me');

/** The resource server: every request is checked by oauth4webapi; it answers the claims, or the error's code. */
const resourceServer = createServer(async (req, res) => {
  const request = new Request(`http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (resourceServer.address()).port}${req.url}`, {
    headers: /** @type {Record<string, string>} */ (req.headers),
  });
  try {
    const claims = await oauth.validateJwtAccessToken(as, request, audience, insecure);
    res.end(JSON.stringify({ claims }));
  } catch (error) {
    res.end(JSON.stringify({ refused: error instanceof oauth.OperationProcessingError ? error.code : /** @type {Error} */ (error).name, why: /** @type {Error} */ (error).message }));
  }
});
await new Promise((resolve) => resourceServer.listen(0, '127.0.0.1', () => resolve(undefined)));
const resourceUrl = new URL(`http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (resourceServer.address()).port}/api/hello`);

/** @typedef {Awaited<ReturnType<typeof oauth.generateKeyPair>>} KeyPair */
const keyPair = await oauth.generateKeyPair('ES256');
const otherKeyPair = await oauth.generateKeyPair('ES256');
const tokenFor = async (/** @type {oauth.DPoPHandle | undefined} */ DPoP) =>
  oauth.processClientCredentialsResponse(
    as,
    client,
    await oauth.clientCredentialsGrantRequest(as, client, clientAuth, { scope: 'read', resource: audience }, { ...insecure, ...(DPoP && { DPoP }) }),
  );
const bearer = await tokenFor(undefined);
const bound = await tokenFor(oauth.DPoP(client, keyPair));

/** What the resource server said of one request, sent with a DPoP proof of `keys` (scheme DPoP) or as Bearer. */
const call = async (/** @type {string} */ token, /** @type {KeyPair | undefined} */ keys, url = resourceUrl) => {
  const response = await oauth.protectedResourceRequest(token, 'GET', url, undefined, undefined, { ...insecure, ...(keys && { DPoP: oauth.DPoP(client, keys) }) });
  return url === resourceUrl ? JSON.parse(await response.text()) : response.status;
};
const claimsOf = (/** @type {{ claims?: Record<string, unknown> }} */ seen) => {
  const { iss, aud, sub, client_id, scope, cnf } = seen.claims ?? {};
  return seen.claims === undefined ? seen : { iss, aud, sub, client_id, scope, cnf, has: ['exp', 'iat', 'jti'].filter((claim) => seen.claims?.[claim] !== undefined) };
};

// A replayed proof: oauth4webapi keeps no record of proofs, the example-app does (RFC 9449 §11.1).
const apiUrl = new URL(`${origin}/api/hello`);
/** @type {(string | null)[]} */
const proofs = [];
const api = async (/** @type {Headers} */ headers) => (await fetch(apiUrl, { headers })).status;
const firstProofRequest = await oauth.protectedResourceRequest(bound.access_token, 'GET', apiUrl, undefined, undefined, {
  ...insecure,
  DPoP: oauth.DPoP(client, keyPair),
  [oauth.customFetch]: (/** @type {string} */ url, /** @type {RequestInit} */ init) => {
    proofs.push(new Headers(init.headers).get('dpop'));
    return fetch(url, init);
  },
});

console.log(
  JSON.stringify({
    tokenTypes: [bearer.token_type, bound.token_type],
    bearer: claimsOf(await call(bearer.access_token, undefined)),
    bound: claimsOf(await call(bound.access_token, keyPair)),
    jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)),
    boundAsBearer: await call(bound.access_token, undefined),
    boundWithAnotherKey: await call(bound.access_token, otherKeyPair),
    exampleApp: {
      firstProof: firstProofRequest.status,
      replayedProof: await api(new Headers({ authorization: `DPoP ${bound.access_token}`, dpop: proofs[0] ?? '' })),
    },
  }),
);
resourceServer.close();
