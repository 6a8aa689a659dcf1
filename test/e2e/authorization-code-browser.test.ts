import { browserOnExampleApp } from '../helpers/browser';
import { pkcePair } from '../helpers/test-app';

/*
 * The authorization code flow as a person goes through it: Debian's headless Chromium signs in
 * on the example-app's login page, answers its consent page, and is redirected to the spa
 * client's callback, where `captureCallbacks` catches it (nothing listens at the callback).
 * The test then plays the client: code exchange with PKCE, the protected API,
 * refresh and rotation.
 */

const CALLBACK = 'http://127.0.0.1:8080/callback';

const on = browserOnExampleApp(CALLBACK);
/** The example-app's default issuer on its port. */
const issuer = () => `http://localhost:${new URL(on.exampleApp.url).port}/oauth`;

/** Opens the spa's authorization request in the browser; returns its PKCE verifier. */
async function startAuthorization(state: string): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: 'spa',
    redirect_uri: CALLBACK,
    scope: 'read',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  await on.page.goto(`${on.exampleApp.url}/oauth/authorize?${query}`);
  return verifier;
}

/** Clicks a consent button and returns the parameters of the callback the browser was sent to. */
async function decide(decision: 'allow' | 'deny'): Promise<URLSearchParams> {
  await expectConsentPage();
  const before = on.callbacks.length;
  await Promise.all([on.page.waitForResponse(/\/oauth\/authorize\/decision$/), on.page.click(`button[name="decision"][value="${decision}"]`)]);
  expect(on.callbacks).toHaveLength(before + 1);
  return new URL(on.callbacks[before]).searchParams;
}

async function expectConsentPage(): Promise<void> {
  const text = await on.page.textContent('body');
  expect(text).toContain('Single-page app');
  expect(text).toContain('read');
}

async function token(form: Record<string, string>): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`${on.exampleApp.url}/oauth/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

test('login, consent, allow: the code buys tokens for the user, and refresh tokens rotate', async () => {
  const verifier = await startAuthorization('e2e-allow');
  expect(new URL(on.page.url()).pathname).toBe('/login');
  await on.page.fill('input[name="username"]', 'demo');
  await on.page.fill('input[name="password"]', 'demo-password-change-me');
  await Promise.all([on.page.waitForURL(/\/oauth\/authorize\?/), on.page.click('button[type="submit"]')]);

  const params = await decide('allow');
  expect(params.get('state')).toBe('e2e-allow');
  expect(params.get('iss')).toBe(issuer());
  const code = params.get('code') as string;

  const exchanged = await token({ grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: CALLBACK, code_verifier: verifier });
  expect(exchanged.status).toBe(200);
  const hello = await fetch(`${on.exampleApp.url}/api/hello`, { headers: { Authorization: `Bearer ${exchanged.body.access_token}` } });
  expect(await hello.json()).toEqual({ client_id: 'spa', scope: 'read', sub: 'demo' });

  const refreshed = await token({ grant_type: 'refresh_token', client_id: 'spa', refresh_token: exchanged.body.refresh_token });
  expect(refreshed.status).toBe(200);
  expect(refreshed.body.refresh_token).not.toBe(exchanged.body.refresh_token);
  const reused = await token({ grant_type: 'refresh_token', client_id: 'spa', refresh_token: exchanged.body.refresh_token });
  expect(reused).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) });
});

test('deny: the client gets access_denied with state and iss', async () => {
  // Still signed in from the first test: straight to the consent on.page.
  await startAuthorization('e2e-deny');
  const params = await decide('deny');
  expect(params.get('error')).toBe('access_denied');
  expect(params.get('state')).toBe('e2e-deny');
  expect(params.get('iss')).toBe(issuer());
  expect(params.has('code')).toBe(false);
});
