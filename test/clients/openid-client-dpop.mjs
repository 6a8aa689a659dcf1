// openid-client's DPoP support (RFC 9449) against a server the jest test runs: a DPoP handle,
// client credentials, the code flow with dpop_jkt, refresh, protected resource requests, and
// the nonce retries openid-client makes on use_dpop_nonce. fetch plays the browser (the test
// server signs everyone in as alice). Prints one JSON line of observations.
import * as client from 'openid-client';
import { authorizationRequest, discover } from './openid-client-discover.mjs';

const [issuer, apiUrl] = process.argv.slice(2);
const CALLBACK = 'https://spa.example/cb';

const service = await discover(issuer, 'svc', 'svc-secret', client.ClientSecretBasic());
const spa = await discover(issuer, 'spa', undefined, client.None());
const serviceKeys = await client.randomDPoPKeyPair('ES256');
const DPoP = client.getDPoPHandle(service, serviceKeys);
const spaDPoP = client.getDPoPHandle(spa, await client.randomDPoPKeyPair('EdDSA'));
const otherDPoP = client.getDPoPHandle(spa, await client.randomDPoPKeyPair('ES256'));

/** The status of GET apiUrl, with the DPoP handle when given, else as a Bearer token. */
const api = async (/** @type {string} */ token, /** @type {client.DPoPHandle | undefined} */ handle) => {
  try {
    return (await client.fetchProtectedResource(service, token, new URL(apiUrl), 'GET', undefined, undefined, handle && { DPoP: handle })).status;
  } catch (error) {
    if (error instanceof client.WWWAuthenticateChallengeError) {
      // Both schemes are challenged (RFC 9449 §7.1): the one with the error is the one the request used.
      const refused = error.cause.find((challenge) => challenge.parameters.error !== undefined);
      return `${error.response.status} ${refused?.scheme} ${refused?.parameters.error}`;
    }
    throw error;
  }
};
/** The OAuth error of a refresh, or 'ok'. */
const refreshOutcome = (/** @type {string} */ token, /** @type {client.DPoPHandle | undefined} */ handle) =>
  client.refreshTokenGrant(spa, token, undefined, handle && { DPoP: handle }).then(
    () => 'ok',
    (error) => (error instanceof client.ResponseBodyError ? error.error : String(error)),
  );

const serviceTokens = await client.clientCredentialsGrant(service, { scope: 'read' }, { DPoP });

/** The person (signed in as alice by the test server) allows; returns where they are sent. */
const allow = async (/** @type {URL} */ authorizationUrl) => {
  const consent = await (await fetch(authorizationUrl)).text();
  const field = (/** @type {string} */ name) => new RegExp(`name="${name}" value="([^"]+)"`).exec(consent)?.[1] ?? '';
  const decision = await fetch(new URL(`${issuer}/authorize/decision`), {
    method: 'POST',
    body: new URLSearchParams({ transaction_id: field('transaction_id'), csrf_token: field('csrf_token'), decision: 'allow' }),
    redirect: 'manual',
  });
  return new URL(decision.headers.get('location') ?? '');
};

// RFC 9449 §10: the code is bound to the key.
const { url: authorizationUrl, verifier, state } = await authorizationRequest(spa, CALLBACK, { dpop_jkt: await spaDPoP.calculateThumbprint() });
const codeTokens = await client.authorizationCodeGrant(spa, await allow(authorizationUrl), { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP: spaDPoP });

// RFC 9449 §10.1: a pushed request with a proof binds the code to the proof's key.
const parVerifier = client.randomPKCECodeVerifier();
const parUrl = await client.buildAuthorizationUrlWithPAR(
  spa,
  { redirect_uri: CALLBACK, scope: 'read', code_challenge: await client.calculatePKCECodeChallenge(parVerifier), code_challenge_method: 'S256' },
  { DPoP: spaDPoP },
);
const parCallback = await allow(parUrl);
const exchangeOutcome = (/** @type {client.DPoPHandle} */ handle) =>
  client.authorizationCodeGrant(spa, parCallback, { pkceCodeVerifier: parVerifier }, undefined, { DPoP: handle }).then(
    (tokens) => tokens.token_type,
    (error) => (error instanceof client.ResponseBodyError ? error.error : String(error)),
  );
const parCodeWithOtherKey = await exchangeOutcome(otherDPoP);
const parCodeWithItsKey = await exchangeOutcome(spaDPoP);
const refreshToken = /** @type {string} */ (codeTokens.refresh_token);

const observations = {
  metadataAlgs: service.serverMetadata().dpop_signing_alg_values_supported,
  serviceTokenType: serviceTokens.token_type,
  apiWithProof: await api(serviceTokens.access_token, DPoP),
  apiAsBearer: await api(serviceTokens.access_token, undefined),
  // A new handle of the same key knows no nonce yet: the API asks for one, openid-client retries.
  apiWithFreshHandle: await api(serviceTokens.access_token, client.getDPoPHandle(service, serviceKeys)),
  codeTokenType: codeTokens.token_type,
  parCodeWithOtherKey,
  parCodeWithItsKey,
  refreshWithoutProof: await refreshOutcome(refreshToken, undefined),
  refreshWithOtherKey: await refreshOutcome(refreshToken, otherDPoP),
};
const refreshed = await client.refreshTokenGrant(spa, refreshToken, undefined, { DPoP: spaDPoP });
console.log(
  JSON.stringify({
    ...observations,
    refreshedTokenType: refreshed.token_type,
    apiWithRefreshed: await api(refreshed.access_token, spaDPoP),
    apiWithRefreshedOtherKey: await api(refreshed.access_token, otherDPoP),
  }),
);
