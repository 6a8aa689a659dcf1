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
