// openid-client's pushed authorization requests (RFC 9126) against the example-app: the client
// pushes its request to the endpoint the metadata names, sends the person with the request_uri
// alone, and exchanges the code. fetch plays the person's browser. Prints one JSON line of
// observations.
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { discover } from './openid-client-discover.mjs';
import { allow, signIn } from './example-browser.mjs';

const [issuer, appUrl, clientId, secret, callback] = process.argv.slice(2);

const web = await discover(issuer, clientId, secret, client.ClientSecretBasic());
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const parameters = {
  redirect_uri: callback,
  // RFC 8707: pushed like any other parameter; the code's token is then for the API.
  resource: `${new URL(appUrl).origin}/api`,
  scope: 'read',
  state,
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
};
const pushedUrl = await client.buildAuthorizationUrlWithPAR(web, parameters);
const cookie = await signIn(appUrl);
const callbackUrl = await allow(appUrl, pushedUrl, cookie);
const tokens = await client.authorizationCodeGrant(web, callbackUrl, { pkceCodeVerifier: verifier, expectedState: state });
const replay = await fetch(pushedUrl, { headers: { cookie }, redirect: 'manual' });
// The same request, not pushed: for a client that must push, refused at its redirect URI.
const unpushed = await fetch(client.buildAuthorizationUrl(web, parameters), { headers: { cookie }, redirect: 'manual' });

console.log(
  JSON.stringify({
    parEndpoint: web.serverMetadata().pushed_authorization_request_endpoint,
    authorizationQuery: [...pushedUrl.searchParams.keys()].sort(),
    scope: tokens.scope,
    audience: decodeJwt(tokens.access_token).aud,
    api: (await fetch(`${appUrl}/api/hello`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status,
    replay: { status: replay.status, location: replay.headers.get('location') },
    unpushed: { status: unpushed.status, error: new URL(unpushed.headers.get('location') ?? 'x:/').searchParams.get('error') },
  }),
);
