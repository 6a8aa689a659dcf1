import path from 'node:path';
import request from 'supertest';
import { readConfig } from '../../example-app/config';
import { createApp } from '../../example-app/app';
import { expectConsentPage } from '../helpers/oauth-app';

/** The example-app's pages around the authorization endpoint (shared/example-app-contract.md). */
describe('example-app login and consent', () => {
  const config = readConfig({ PORT: '3000' });
  const { app, oauth } = createApp(config);
  afterAll(() => oauth.close());

  const authorizePath = `/oauth/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: 'spa',
    redirect_uri: 'http://127.0.0.1:8080/callback',
    scope: 'read',
    state: 's',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  })}`;

  function signIn(password = 'demo-password-change-me', returnTo = authorizePath) {
    return request(app).post('/login').type('form').send({ username: 'demo', password, returnTo: encodeURIComponent(returnTo) });
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
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0];
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
  });

  test('the consent page names the client and scopes and cannot be framed', async () => {
    const cookie = (await signIn()).headers['set-cookie'] as unknown as string[];
    const res = await request(app).get(authorizePath).set('Cookie', cookie);
    expectConsentPage(res, 'Single-page app', ['read']);
  });

  test('a wrong password is refused with 401 and no cookie', async () => {
    const res = await signIn('wrong');
    expect(res.status).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  test('a sign-in posted from another site is refused (login CSRF)', async () => {
    const res = await signIn().set('Sec-Fetch-Site', 'cross-site');
    expect(res.status).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  test('a forged or altered session cookie is not a session', async () => {
    const [cookie] = (await signIn()).headers['set-cookie'] as unknown as string[];
    const value = cookie.split(';')[0];
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
    const login = (password: string) => request(made.app).post('/login').type('form').send({ username: 'demo', password, returnTo: '/' });
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
    expect(blocked.headers['set-cookie']).toBeUndefined();
    expect((await grant('demo-password-change-me')).body.error).toBe('invalid_grant');
  });

  test('5 wrong passwords at the password grant block the username at the login', async () => {
    const { login, grant } = fresh();
    for (let i = 0; i < 5; i++) expect((await grant(`wrong-${i}`)).body.error).toBe('invalid_grant');
    expect((await login('demo-password-change-me')).status).toBe(429);
  });
});
