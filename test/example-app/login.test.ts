import path from 'node:path';
import request from 'supertest';
import { readConfig } from '../../example-app/config';
import { createApp } from '../../example-app/app';
import { expectConsentPage } from '../helpers/test-app';
import { loginForm, type LoginForm } from '../helpers/example-login';

type App = ReturnType<typeof createApp>['app'];

/** GET /login as a browser: the CSRF cookie and the form's token. */
async function openLogin(app: App): Promise<LoginForm> {
  const page = await request(app).get('/login');
  return loginForm(page.headers['set-cookie'] as unknown as string[], page.text);
}

/** POST /login with the form's fields; `form` is the page it was opened from (none: a forged post). */
function postLogin(app: App, form: LoginForm | undefined, fields: Record<string, string>) {
  const req = request(app).post('/login').type('form');
  if (form !== undefined) req.set('Cookie', form.cookie);
  return req.send({ ...fields, ...(form && { csrf_token: form.csrfToken }) });
}

const setCookies = (res: request.Response): string[] => (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
/** The session cookie a response sets, if any (plain or `__Host-` name). */
const sessionCookie = (res: request.Response): string | undefined => setCookies(res).find((line) => /^(__Host-)?example_session=/.test(line));

const authorizePath = `/oauth/authorize?${new URLSearchParams({
  response_type: 'code',
  client_id: 'spa',
  redirect_uri: 'http://127.0.0.1:8080/callback',
  scope: 'read',
  state: 's',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
})}`;

/** The example-app's pages around the authorization endpoint (shared/example-app-contract.md). */
describe('example-app login and consent', () => {
  const config = readConfig({ PORT: '3000' });
  const { app, oauth } = createApp(config);
  afterAll(() => oauth.close());

  async function signIn(password = 'demo-password-change-me', returnTo = authorizePath, headers: Record<string, string> = {}) {
    return postLogin(app, await openLogin(app), { username: 'demo', password, returnTo: encodeURIComponent(returnTo) }).set(headers);
  }

  test('an anonymous user is sent to a login form with username and password', async () => {
    const res = await request(app).get(authorizePath);
    expect(res.status).toBe(302);
    const login = await request(app).get(res.headers.location);
    expect(login.status).toBe(200);
    expect(login.text).toContain('<input name="username"');
    expect(login.text).toContain('name="password" type="password"');
    expect(login.text).toContain('<button type="submit">');
    expect(login.headers['x-frame-options']).toBe('DENY');
  });

  test('signing in sets an HttpOnly, SameSite=Lax session cookie and returns to the request', async () => {
    const res = await signIn();
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(authorizePath);
    const cookie = sessionCookie(res) as string;
    expect(cookie).toMatch(/^example_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
  });

  test('the consent page names the client and scopes and cannot be framed', async () => {
    const cookie = (sessionCookie(await signIn()) as string).split(';')[0];
    const res = await request(app).get(authorizePath).set('Cookie', cookie);
    expectConsentPage(res, 'Single-page app', ['read']);
  });

  test('a wrong password is refused with 401 and no cookie', async () => {
    const res = await signIn('wrong');
    expect(res.status).toBe(401);
    expect(sessionCookie(res)).toBeUndefined();
  });

  test('a sign-in posted from another site is refused (login CSRF)', async () => {
    const res = await signIn(undefined, undefined, { 'Sec-Fetch-Site': 'cross-site' });
    expect(res.status).toBe(403);
    expect(sessionCookie(res)).toBeUndefined();
  });

  test('a forged or altered session cookie is not a session', async () => {
    const value = (sessionCookie(await signIn()) as string).split(';')[0];
    const forged = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    const res = await request(app).get(authorizePath).set('Cookie', forged);
    expect(res.status).toBe(302);
  });

  test.each(['https://evil.example/', '//evil.example/', '/\\evil.example'])('returnTo %s does not leave the site', async (returnTo) => {
    const res = await signIn(undefined, returnTo);
    expect(res.headers.location).toBe('/');
  });

  test('USERS_FILE that cannot be read or holds a bad entry is one clear line', () => {
    expect(() => readConfig({ USERS_FILE: '/nonexistent/users.json' })).toThrow(/^USERS_FILE \/nonexistent\/users.json cannot be read: ENOENT$/);
    expect(() => readConfig({ USERS_FILE: path.join(__dirname, '../../example-app/clients.json') })).toThrow(/USERS_FILE .*entry 0 needs a non-empty string username and password/);
  });
});

describe('example-app login shares the per-username limit of the password grant', () => {
  const config = readConfig({ PORT: '3000' });
  const apps: ReturnType<typeof createApp>[] = [];
  afterAll(() => Promise.all(apps.map(({ oauth }) => oauth.close())));
  function fresh() {
    const made = createApp(config);
    apps.push(made);
    const login = async (password: string) => postLogin(made.app, await openLogin(made.app), { username: 'demo', password, returnTo: '/' });
    const grant = (password: string) =>
      request(made.app).post('/oauth/token').auth('legacy-app', 'legacy-secret-change-me').type('form').send({ grant_type: 'password', username: 'demo', password });
    return { login, grant };
  }

  test('5 wrong passwords at the login block the username there and at the password grant', async () => {
    const { login, grant } = fresh();
    for (let i = 0; i < 5; i++) expect((await login(`wrong-${i}`)).status).toBe(401);
    const blocked = await login('demo-password-change-me');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(sessionCookie(blocked)).toBeUndefined();
    expect((await grant('demo-password-change-me')).body.error).toBe('invalid_grant');
  });

  test('5 wrong passwords at the password grant block the username at the login', async () => {
    const { login, grant } = fresh();
    for (let i = 0; i < 5; i++) expect((await grant(`wrong-${i}`)).body.error).toBe('invalid_grant');
    expect((await login('demo-password-change-me')).status).toBe(429);
  });
});

describe('example-app login CSRF (a page elsewhere, even on another port of this host, cannot sign the browser in)', () => {
  const config = readConfig({ PORT: '3000' });
  const { app, oauth } = createApp(config);
  afterAll(() => oauth.close());
  const demo = { username: 'demo', password: 'demo-password-change-me', returnTo: '/' };

  /** 403 with the login page again, and no session. */
  function expectRefused(res: request.Response) {
    expect(res.status).toBe(403);
    expect(res.text).toContain('<input name="username"');
    expect(sessionCookie(res)).toBeUndefined();
  }

  test('the login page sets an HttpOnly, SameSite=Strict, short-lived CSRF cookie for /login and puts a token in the form', async () => {
    const page = await request(app).get('/login');
    const [cookie] = setCookies(page).filter((line) => line.startsWith('login_csrf='));
    expect(cookie).toMatch(/^login_csrf=[\w-]{43};/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/login(;|$)/);
    expect(Number(/Max-Age=(\d+)/.exec(cookie)?.[1])).toBeLessThanOrEqual(600);
    expect(cookie).not.toMatch(/Secure|Domain/);
    const { csrfToken } = loginForm(setCookies(page), page.text);
    // The form carries a signature of the cookie's value, not the value.
    expect(csrfToken).not.toBe(cookie.split(';')[0].split('=')[1]);
  });

  test('a sign-in without the login page (no CSRF cookie and token) is refused', async () => {
    expectRefused(await postLogin(app, undefined, demo));
  });

  test("a sign-in with the token of another browser's login page is refused", async () => {
    const mine = await openLogin(app);
    const theirs = await openLogin(app);
    expectRefused(await postLogin(app, { cookie: mine.cookie, csrfToken: theirs.csrfToken }, demo));
  });

  test('a sign-in with the cookie but an altered or missing token is refused', async () => {
    const form = await openLogin(app);
    const altered = `${form.csrfToken.slice(0, -2)}${form.csrfToken.endsWith('AA') ? 'BB' : 'AA'}`;
    expectRefused(await postLogin(app, { ...form, csrfToken: altered }, demo));
    expectRefused(await request(app).post('/login').set('Cookie', form.cookie).type('form').send(demo));
  });

  test('a sign-in with the token but without its cookie is refused', async () => {
    const form = await openLogin(app);
    expectRefused(await postLogin(app, { ...form, cookie: '' }, demo));
  });

  test.each(['same-site', 'cross-site', 'none'])('a sign-in with the token but Sec-Fetch-Site: %s is refused (another port of this host is same-site)', async (site) => {
    expectRefused(await postLogin(app, await openLogin(app), demo).set('Sec-Fetch-Site', site));
  });

  test.each(['http://localhost:8080', 'http://127.0.0.1:8080', 'https://localhost:3000', 'null'])('a sign-in with the token but Origin %s is refused', async (origin) => {
    expectRefused(await postLogin(app, await openLogin(app), demo).set('Origin', origin));
  });

  test.each(['http://localhost:3000', 'http://127.0.0.1:3000'])('the app\'s own page (Origin %s, Sec-Fetch-Site: same-origin) signs in: the issuer\'s origin and the address it listens on', async (origin) => {
    const res = await postLogin(app, await openLogin(app), demo).set({ Origin: origin, 'Sec-Fetch-Site': 'same-origin' });
    expect(res.status).toBe(303);
    expect(sessionCookie(res)).toMatch(/^example_session=/);
  });

  test('a refused sign-in counts no failed attempt for the username', async () => {
    for (let i = 0; i < 6; i++) expectRefused(await postLogin(app, undefined, { ...demo, password: `wrong-${i}` }));
    expect((await postLogin(app, await openLogin(app), demo)).status).toBe(303);
  });
});

describe('example-app login cookies under an https ISSUER', () => {
  const config = readConfig({ PORT: '3000', ISSUER: 'https://auth.example/oauth' });
  const { app, oauth } = createApp(config);
  afterAll(() => oauth.close());
  const demo = { username: 'demo', password: 'demo-password-change-me', returnTo: '/' };

  test('the CSRF cookie is __Host-login_csrf: Secure, Path=/, no Domain', async () => {
    const page = await request(app).get('/login');
    const [cookie] = setCookies(page);
    expect(cookie).toMatch(/^__Host-login_csrf=[\w-]{43};/);
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).not.toMatch(/Domain/);
  });

  test('the session cookie is __Host-example_session: Secure, Path=/, no Domain, and it is a session', async () => {
    const res = await postLogin(app, await openLogin(app), demo).set({ Origin: 'https://auth.example', 'Sec-Fetch-Site': 'same-origin' });
    expect(res.status).toBe(303);
    const cookie = sessionCookie(res) as string;
    expect(cookie).toMatch(/^__Host-example_session=/);
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).not.toMatch(/Domain/);
    expectConsentPage(await request(app).get(authorizePath).set('Cookie', cookie.split(';')[0]), 'Single-page app', ['read']);
  });

  test('only the https origin is own: the http address it listens on is refused', async () => {
    const res = await postLogin(app, await openLogin(app), demo).set('Origin', 'http://127.0.0.1:3000');
    expect(res.status).toBe(403);
  });
});
