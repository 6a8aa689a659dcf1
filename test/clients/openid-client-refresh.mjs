// openid-client against the example-app's authorization code flow and refresh token rotation.
// fetch plays the person's browser (sign in, allow on the consent page); openid-client builds
// the request, checks the response (state, iss), exchanges the code with PKCE and refreshes.
// Prints one JSON line of observations.
import * as client from 'openid-client';
import { discover } from './openid-client-discover.mjs';
import { allow, signIn } from './example-browser.mjs';

const [issuer, appUrl] = process.argv.slice(2);
const CALLBACK = 'http://127.0.0.1:8080/callback';

const spa = await discover(issuer, 'spa', undefined, client.None());
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const authorizationUrl = client.buildAuthorizationUrl(spa, {
  redirect_uri: CALLBACK,
  scope: 'read',
  state,
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
});

/** The person: signs in on the login page, opens the authorization URL, allows; returns where they are sent. */
const browser = async () => allow(appUrl, authorizationUrl, await signIn(appUrl));

const api = async (/** @type {string} */ token) => (await fetch(`${appUrl}/api/hello`, { headers: { Authorization: `Bearer ${token}` } })).status;
/** The OAuth error openid-client reports for a refresh, or 'ok'. */
const refreshOutcome = (/** @type {string} */ token) =>
  client.refreshTokenGrant(spa, token).then(
    () => 'ok',
    (error) => (error instanceof client.ResponseBodyError ? error.error : String(error)),
  );

const tokens = await client.authorizationCodeGrant(spa, await browser(), { pkceCodeVerifier: verifier, expectedState: state });
const refreshed = await client.refreshTokenGrant(spa, /** @type {string} */ (tokens.refresh_token));
const observations = {
  scope: tokens.scope,
  hasRefreshToken: typeof tokens.refresh_token === 'string',
  refreshedScope: refreshed.scope,
  rotated: refreshed.refresh_token !== tokens.refresh_token,
  apiWithRefreshed: await api(refreshed.access_token),
  // The rotated token again is refused; within the reuse grace (10 s) the grant stands, after it
  // the grant would be revoked (RFC 9700 §4.14.2).
  reuse: await refreshOutcome(/** @type {string} */ (tokens.refresh_token)),
};
console.log(JSON.stringify({ ...observations, apiAfterReuse: await api(refreshed.access_token), refreshAfterReuse: await refreshOutcome(/** @type {string} */ (refreshed.refresh_token)) }));
