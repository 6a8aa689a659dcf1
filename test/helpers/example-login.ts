/**
 * What a browser holds after opening the example-app's login page: the `Cookie` header to send
 * back (the login CSRF cookie) and the form's `csrf_token`.
 */
export interface LoginForm {
  cookie: string;
  csrfToken: string;
}

/** Reads a login page's answer: its Set-Cookie lines and its HTML. */
export function loginForm(setCookie: string[] | undefined, html: string): LoginForm {
  const cookie = (setCookie ?? []).map((line) => line.split(';')[0]).join('; ');
  const csrfToken = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  if (csrfToken === undefined) throw new Error('the login page carries no csrf_token');
  return { cookie, csrfToken };
}

/**
 * Signs in at a running example-app as a browser would, with fetch: opens /login, then posts
 * the form with its cookie and token. Returns the POST's answer (303 with the session cookie).
 */
export async function signInByFetch(appUrl: string, form: Record<string, string>): Promise<Response> {
  const page = await fetch(`${appUrl}/login`);
  const { cookie, csrfToken } = loginForm(page.headers.getSetCookie(), await page.text());
  return fetch(`${appUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ ...form, csrf_token: csrfToken }),
  });
}

/** The shipped demo user of example-app/users.json. */
export const DEMO_USER = { username: 'demo', password: 'demo-password-change-me' };

/**
 * The demo user, as a browser would without one, follows an authorization request at a running
 * example-app: it is sent to the login page, signs in, and allows on the consent page (decided
 * at `decideAt`, another instance sharing the session secret, when given). Returns the redirect
 * to the client (RFC 6749 §4.1.2).
 */
export async function signInAndAllow(authorizationUrl: string, { decideAt }: { decideAt?: string } = {}): Promise<URL> {
  const appUrl = new URL(authorizationUrl).origin;
  const toLogin = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(toLogin.status).toBe(302);
  const returnTo = new URL(toLogin.headers.get('location') as string, appUrl).searchParams.get('returnTo') as string;

  // The login form carries returnTo URI-encoded.
  const signedIn = await signInByFetch(appUrl, { ...DEMO_USER, returnTo: encodeURIComponent(returnTo) });
  expect(signedIn.status).toBe(303);
  expect(signedIn.headers.get('location')).toBe(returnTo);
  const cookie = signedIn.headers.getSetCookie()[0].split(';')[0];

  const consent = await fetch(`${appUrl}${returnTo}`, { headers: { cookie } });
  expect(consent.status).toBe(200);
  const page = await consent.text();
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page)?.[1] as string;
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1] as string;
  const decided = await fetch(`${decideAt ?? appUrl}${action}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ transaction_id: field('transaction_id'), csrf_token: field('csrf_token'), decision: 'allow' }),
  });
  expect(decided.status).toBe(303);
  return new URL(decided.headers.get('location') as string);
}
