// fetch playing a person's browser on the example-app: sign in on the login page, open an
// authorization URL, answer the consent page.

/**
 * Signs the demo user in; returns the session cookie.
 * @param {string} appUrl
 */
export async function signIn(appUrl) {
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
  return (login.headers.get('set-cookie') ?? '').split(';')[0];
}

/**
 * Opens the authorization URL signed in and allows; returns where the person is sent.
 * @param {string} appUrl
 * @param {URL} authorizationUrl
 * @param {string} cookie
 */
export async function allow(appUrl, authorizationUrl, cookie) {
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
