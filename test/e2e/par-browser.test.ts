import { browserOnExampleApp } from '../helpers/browser';
import { pkcePair } from '../helpers/test-app';

/*
 * A pushed authorization request (RFC 9126) as a person goes through it: the spa client pushes
 * its request, Debian's headless Chromium opens the authorization endpoint with the request_uri
 * alone, signs in on the example-app's login page (the round trip the pushed request must
 * survive), allows, and is sent to the callback, where `captureCallbacks` catches it. The test then exchanges the code.
 */

const CALLBACK = 'http://127.0.0.1:8080/callback';

const on = browserOnExampleApp(CALLBACK);

/** The spa client pushes its request (RFC 9126 §2.1); returns the request_uri and the PKCE verifier. */
async function push(state: string): Promise<{ requestUri: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const body = new URLSearchParams({ response_type: 'code', client_id: 'spa', redirect_uri: CALLBACK, scope: 'read', state, code_challenge: challenge, code_challenge_method: 'S256' });
  const res = await fetch(`${on.exampleApp.url}/oauth/par`, { method: 'POST', body });
  expect(res.status).toBe(201);
  return { requestUri: ((await res.json()) as { request_uri: string }).request_uri, verifier };
}

const authorizeUrl = (requestUri: string) => `${on.exampleApp.url}/oauth/authorize?${new URLSearchParams({ client_id: 'spa', request_uri: requestUri })}`;

test('push, sign in, allow: the code buys tokens for the user; the request_uri does not work twice', async () => {
  const { requestUri, verifier } = await push('par-e2e');
  await on.page.goto(authorizeUrl(requestUri));
  expect(new URL(on.page.url()).pathname).toBe('/login');
  await on.page.fill('input[name="username"]', 'demo');
  await on.page.fill('input[name="password"]', 'demo-password-change-me');
  await Promise.all([on.page.waitForURL(/\/oauth\/authorize\?/), on.page.click('button[type="submit"]')]);
  expect(await on.page.textContent('body')).toContain('Single-page app');

  await Promise.all([on.page.waitForResponse(/\/oauth\/authorize\/decision$/), on.page.click('button[name="decision"][value="allow"]')]);
  expect(on.callbacks).toHaveLength(1);
  const params = new URL(on.callbacks[0]).searchParams;
  expect(params.get('state')).toBe('par-e2e');
  const form = { grant_type: 'authorization_code', client_id: 'spa', code: params.get('code') as string, redirect_uri: CALLBACK, code_verifier: verifier };
  const tokens = await fetch(`${on.exampleApp.url}/oauth/token`, { method: 'POST', body: new URLSearchParams(form) });
  expect(tokens.status).toBe(200);
  const { access_token: accessToken } = (await tokens.json()) as { access_token: string };
  const hello = await fetch(`${on.exampleApp.url}/api/hello`, { headers: { Authorization: `Bearer ${accessToken}` } });
  expect(await hello.json()).toEqual({ client_id: 'spa', scope: 'read', sub: 'demo' });

  // Signed in now: the used request_uri is an error page, never a redirect.
  const again = await on.page.goto(authorizeUrl(requestUri));
  expect(again?.status()).toBe(400);
  expect(new URL(on.page.url()).pathname).toBe('/oauth/authorize');
  expect(on.callbacks).toHaveLength(1);
});
