// openid-client against the example-app's authorization code flow and refresh token rotation.
// fetch plays the person's browser (sign in, allow on the consent page); openid-client builds
// the request, checks the response (state, iss), exchanges the code with PKCE and refreshes.
// Prints one JSON line of observations.
import * as client from 'openid-client';
import { authorizationRequest, discover } from './openid-client-discover.mjs';

const [issuer, appUrl] = process.argv.slice(2);
const CALLBACK = 'http://127.0.0.1:8080/callback';

const spa = await discover(issuer, 'spa', undefined, client.None());
const { url: authorizationUrl, verifier, state } = await authorizationRequest(spa, CALLBACK);

/** The person: signs in on the login page, opens the authorization URL, allows; returns where they are sent. */
async function browser() {
  // The login form's CSRF token must come back with its cookie.
  const page = await fetch(`${appUrl}/login`);
  const csrfCookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const csrfToken = /name="csrf_token" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const login = await fetch(`${appUrl}/login`, {
    method: 'POST',
    headers: { cookie: csrfCookie },
    body: new URLSearchParams({ username: 'demo', password: 'demo-password-change-me', returnTo: '/', csrf_token: csrfToken }),
    redirect: 'manual',
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const consent = await (await fetch(authorizationUrl, { headers: { cookie } })).text();
  const field = (/** @type {string} */ name) => new RegExp(`name="${name}" value="([^"]+)"`).exec(consent)?.[1] ?? '';
  const decision = await fetch(`${appUrl}/oauth/authorize/decision`, {
    method: 'POST',
    headers: { cookie },
    body: new URLSearchParams({ transaction_id: field('transaction_id'), csrf_token: field('csrf_token'), decision: 'allow' }),
    redirect: 'manual',
  });
  return new URL(decision.headers.get('location') ?? '');
}

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
