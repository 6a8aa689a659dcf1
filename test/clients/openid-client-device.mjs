// openid-client's device flow helpers (RFC 8628) against the example-app, as the public `cli`
// client. Prints JSON lines as it goes, for the test that plays the person in a browser:
//   { "started": <device authorization response> }
//   { "poll": <error of a token response, or "tokens"> }   for each poll
//   { "outcome": … }                                       tokens used and refreshed, or the error
import * as client from 'openid-client';
import { discover } from './openid-client-discover.mjs';

const [issuer, appUrl] = process.argv.slice(2);
const say = (/** @type {object} */ line) => console.log(JSON.stringify(line));

const cli = await discover(issuer, 'cli', undefined, client.None());
const tokenEndpoint = cli.serverMetadata().token_endpoint;
// Reports every poll of the token endpoint that openid-client makes.
cli[client.customFetch] = async (url, options) => {
  const response = await fetch(url, options);
  if (url === tokenEndpoint) say({ poll: response.ok ? 'tokens' : /** @type {{ error: string }} */ (await response.clone().json()).error });
  return response;
};

const started = await client.initiateDeviceAuthorization(cli, { scope: 'read' });
say({ started });
try {
  const tokens = await client.pollDeviceAuthorizationGrant(cli, started);
  const hello = await fetch(`${appUrl}/api/hello`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  const refreshed = await client.refreshTokenGrant(cli, /** @type {string} */ (tokens.refresh_token));
  say({ outcome: { scope: tokens.scope, api: await hello.json(), refreshedScope: refreshed.scope } });
} catch (error) {
  say({ outcome: { error: error instanceof client.ResponseBodyError ? error.error : String(error) } });
}
