import request from 'supertest';
import type { Clock } from '../../lib/clock';
import { STORE_KINDS, useStores } from '../helpers/stores';
import { authorize, FLOW_CLIENTS, decide, expectConsentPage, FLOW_ISSUER, openConsent, responseParams, spaRequest, flowOptions, testApp, tokenRequest, type TestApp } from '../helpers/test-app';

const stores = useStores();

describe.each(STORE_KINDS)('authorization endpoint (%s store)', (kind) => {
  const makeStore = (clock: Clock) => stores(kind, clock);
  let server: TestApp;
  beforeEach(() => {
    server = testApp(flowOptions(makeStore));
  });

  /** GET /authorize as alice, expecting an error redirect; returns its parameters. */
  async function redirectedError(query: Record<string, string>, method: 'get' | 'post' = 'get') {
    const req = request(server.app)[method]('/oauth/authorize').set('x-user', 'alice');
    const res = await (method === 'get' ? req.query(query) : req.type('form').send(query));
    expect(res.status).toBe(method === 'get' ? 302 : 303);
    const params = responseParams(res.headers.location);
    expect(params.get('iss')).toBe(FLOW_ISSUER);
    return { location: res.headers.location as string, params };
  }

  /** GET /authorize as alice, expecting an error page and no redirect. */
  async function errorPage(query: string | Record<string, string>) {
    const res = await request(server.app).get('/oauth/authorize').query(query).set('x-user', 'alice');
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.type).toBe('text/html');
    return res.text;
  }

  describe('signing in and consent', () => {
    test('sends an anonymous user to the login page, with a way back to the same request', async () => {
      const { query } = spaRequest();
      const res = await request(server.app).get('/oauth/authorize').query(query);
      expect(res.status).toBe(302);
      const returnTo = new URL(res.headers.location, 'http://host').searchParams.get('returnTo') as string;
      expect(returnTo.startsWith('/oauth/authorize?')).toBe(true);
      expect(Object.fromEntries(new URLSearchParams(returnTo.split('?')[1]))).toEqual(query);
      const back = await request(server.app).get(returnTo).set('x-user', 'alice');
      expect(back.status).toBe(200);
    });

    test('shows a signed-in user a consent page naming the client and scopes, which cannot be framed or cached', async () => {
      const res = await request(server.app).get('/oauth/authorize').query(spaRequest().query).set('x-user', 'alice');
      expectConsentPage(res, 'Single &#60;page&#62; app', ['read', 'write']);
      expect(res.text).toContain('action="/oauth/authorize/decision"');
    });

    test('the consent and error pages cannot be framed or cached, load nothing from elsewhere and send no Referer', async () => {
      const consent = await request(server.app).get('/oauth/authorize').query(spaRequest().query).set('x-user', 'alice');
      const error = await request(server.app).get('/oauth/authorize').query(spaRequest({ client_id: 'nobody' }).query).set('x-user', 'alice');
      for (const res of [consent, error]) {
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });

    test('state comes back unchanged, whatever characters it holds', async () => {
      const state = 'a b+c&d=e/é?%25#"<';
      const res = await decide(server.app, await openConsent(server.app, spaRequest({ state }).query), 'allow');
      expect(responseParams(res.headers.location).get('state')).toBe(state);
    });

    test('allow redirects with code, state and iss only', async () => {
      const res = await decide(server.app, await openConsent(server.app, spaRequest().query), 'allow');
      expect(res.status).toBe(303);
      expect(res.headers.location.startsWith('https://spa.example/cb?')).toBe(true);
      const params = responseParams(res.headers.location);
      expect([...params.keys()].sort()).toEqual(['code', 'iss', 'state']);
      // The grant id (22 characters), then 256 random bits.
      expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      expect(params.get('state')).toBe('st-123');
      expect(params.get('iss')).toBe(FLOW_ISSUER);
    });

    test('deny redirects with access_denied, state and iss', async () => {
      const res = await decide(server.app, await openConsent(server.app, spaRequest().query), 'deny');
      expect(res.status).toBe(303);
      const params = responseParams(res.headers.location);
      expect(params.get('error')).toBe('access_denied');
      expect(params.get('state')).toBe('st-123');
      expect(params.get('iss')).toBe(FLOW_ISSUER);
      expect(params.has('code')).toBe(false);
    });

    test('a request without state gets a response without state', async () => {
      const res = await decide(server.app, await openConsent(server.app, spaRequest({ state: undefined }).query), 'allow');
      expect(responseParams(res.headers.location).has('state')).toBe(false);
    });

    test('POST /authorize with a form body works as GET does', async () => {
      const res = await request(server.app).post('/oauth/authorize').set('x-user', 'alice').type('form').send(spaRequest().query);
      expect(res.status).toBe(200);
      expect(res.text).toContain('name="csrf_token"');
    });

    test('a redirect URI with a query keeps it, and the response is added to it', async () => {
      const { query } = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/cb?tenant=1', scope: 'admin' });
      const res = await decide(server.app, await openConsent(server.app, query), 'allow');
      expect(res.headers.location).toMatch(/^https:\/\/web\.example\/cb\?tenant=1&code=/);
    });

    test('the redirect URI may be left out when the client registered exactly one', async () => {
      const res = await decide(server.app, await openConsent(server.app, spaRequest({ redirect_uri: undefined }).query), 'allow');
      expect(res.headers.location.startsWith('https://spa.example/cb?code=')).toBe(true);
    });

    test("the scope defaults to the client's registered scope", async () => {
      const form = await openConsent(server.app, spaRequest({ scope: undefined }).query);
      expect(form.html).toContain('<li>read</li><li>write</li>');
    });

    test('sends other methods a 405', async () => {
      const res = await request(server.app).put('/oauth/authorize');
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, POST');
    });
  });

  describe('errors shown to the user, never redirected (RFC 6749 §4.1.2.1)', () => {
    test.each([
      ['no client_id', spaRequest({ client_id: undefined }).query],
      ['an unknown client', spaRequest({ client_id: 'nobody' }).query],
      ['an unregistered redirect_uri', spaRequest({ redirect_uri: 'https://evil.example/cb' }).query],
      ['a redirect_uri that differs by a trailing slash', spaRequest({ redirect_uri: 'https://spa.example/cb/' }).query],
      ['a redirect_uri that differs in case', spaRequest({ redirect_uri: 'https://SPA.example/cb' }).query],
      // RFC 6749 §3.1.2.3, RFC 9700 §4.1.3: exact string match, no prefix matching either way.
      ['a redirect_uri that is a prefix of the registered one', spaRequest({ redirect_uri: 'https://spa.example/c' }).query],
      ['a redirect_uri that extends the registered path', spaRequest({ redirect_uri: 'https://spa.example/cb/evil' }).query],
      ['a redirect_uri that adds a query to the registered one', spaRequest({ redirect_uri: 'https://spa.example/cb?next=evil' }).query],
      ['no redirect_uri while the client registered two', spaRequest({ client_id: 'web', redirect_uri: undefined }).query],
      ['a client with no redirect URI', spaRequest({ client_id: 'nowhere', redirect_uri: undefined }).query],
    ])('%s', async (_name, query) => {
      await errorPage(query);
    });

    test.each([
      ['client_id', 'client_id=spa&client_id=spa'],
      ['redirect_uri', 'redirect_uri=https%3A%2F%2Fspa.example%2Fcb&redirect_uri=https%3A%2F%2Fspa.example%2Fcb'],
    ])('a repeated %s', async (name, repeated) => {
      const { query } = spaRequest({ [name]: undefined });
      const page = await errorPage(`${new URLSearchParams(query)}&${repeated}`);
      expect(page).toContain(`The ${name} parameter is repeated.`);
    });
  });

  describe('errors sent to the client with state and iss', () => {
    test.each([
      ['response_type=token (no implicit grant)', { response_type: 'token' }, 'unsupported_response_type'],
      ['response_type=code id_token', { response_type: 'code id_token' }, 'unsupported_response_type'],
      ['no response_type', { response_type: undefined }, 'invalid_request'],
      ['a scope beyond the registered one', { scope: 'read admin' }, 'invalid_scope'],
      ['a malformed scope', { scope: 'read  write' }, 'invalid_scope'],
      ['a public client without PKCE', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
      ['the plain method, not allowed by default', { code_challenge_method: 'plain', code_challenge: 'x'.repeat(43) }, 'invalid_request'],
      ['a challenge without method (plain by default)', { code_challenge_method: undefined }, 'invalid_request'],
      ['an unknown challenge method', { code_challenge_method: 'S512' }, 'invalid_request'],
      ['a method without a challenge', { code_challenge: undefined }, 'invalid_request'],
      ['a malformed S256 challenge', { code_challenge: 'too-short' }, 'invalid_request'],
    ])('%s', async (_name, overrides, code) => {
      const { params } = await redirectedError(spaRequest(overrides).query);
      expect(params.get('error')).toBe(code);
      expect(params.get('error_description')).toBeTruthy();
      expect(params.get('state')).toBe('st-123');
    });

    test('a client not registered for the authorization code grant: unauthorized_client', async () => {
      const { params } = await redirectedError(spaRequest({ client_id: 'svc', redirect_uri: 'https://svc.example/cb', scope: 'read' }).query);
      expect(params.get('error')).toBe('unauthorized_client');
    });

    test('a confidential client without PKCE is refused by default', async () => {
      const query = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other', code_challenge: undefined, code_challenge_method: undefined }).query;
      const { params } = await redirectedError(query);
      expect(params.get('error')).toBe('invalid_request');
    });

    test('a repeated parameter other than client_id and redirect_uri', async () => {
      const { query } = spaRequest({ scope: undefined });
      const res = await request(server.app).get(`/oauth/authorize?${new URLSearchParams(query)}&scope=read&scope=write`).set('x-user', 'alice');
      expect(responseParams(res.headers.location).get('error')).toBe('invalid_request');
    });

    test('a repeated state: invalid_request, without state', async () => {
      const { query } = spaRequest({ state: undefined });
      const res = await request(server.app).get(`/oauth/authorize?${new URLSearchParams(query)}&state=a&state=b`).set('x-user', 'alice');
      const params = responseParams(res.headers.location);
      expect(params.get('error')).toBe('invalid_request');
      expect(params.has('state')).toBe(false);
    });

    test('POST /authorize errors are redirected with 303', async () => {
      const { params } = await redirectedError(spaRequest({ response_type: 'token' }).query, 'post');
      expect(params.get('error')).toBe('unsupported_response_type');
    });

    test('a failure of the host app is server_error, redirected, with nothing of its message', async () => {
      const errors: unknown[] = [];
      const failing = testApp(flowOptions(makeStore, {
        authorization: { getUser: () => Promise.reject(new Error('session db down')), login: () => undefined },
        onError: (error) => errors.push(error),
      }));
      const res = await request(failing.app).get('/oauth/authorize').query(spaRequest().query);
      const params = responseParams(res.headers.location);
      expect(params.get('error')).toBe('server_error');
      expect(res.headers.location).not.toContain('session');
      expect(errors).toHaveLength(1);
    });

    test('a getUser that answers with something else than a user id is server_error', async () => {
      const errors: unknown[] = [];
      const wrong = testApp(flowOptions(makeStore, {
        authorization: { getUser: () => ({ id: 'alice' }) as unknown as string, login: () => undefined },
        onError: (error) => errors.push(error),
      }));
      const res = await request(wrong.app).get('/oauth/authorize').query(spaRequest().query);
      expect(responseParams(res.headers.location).get('error')).toBe('server_error');
      expect(String(errors[0])).toMatch(/getUser/);
    });
  });

  describe('parameter length limit (4096 characters by default)', () => {
    const long = 'a'.repeat(4097);

    test('a value at the limit is read', async () => {
      await openConsent(server.app, spaRequest({ login_hint: 'a'.repeat(4096) }).query);
    });

    test('an over-long state: invalid_request at the redirect URI, without the state', async () => {
      const { params } = await redirectedError(spaRequest({ state: long }).query);
      expect(params.get('error')).toBe('invalid_request');
      expect(params.has('state')).toBe(false);
    });

    test('an over-long scope in a POST body: invalid_request at the redirect URI, with the state', async () => {
      const { params } = await redirectedError(spaRequest({ scope: long }).query, 'post');
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('state')).toBe('st-123');
    });

    test.each(['client_id', 'redirect_uri'])('an over-long %s is shown to the user, never redirected', async (name) => {
      const page = await errorPage(spaRequest({ [name]: long }).query);
      expect(page).toContain('A parameter value is longer than 4096 characters.');
    });

    test('an over-long value in the consent answer is refused on a page', async () => {
      const form = await openConsent(server.app, spaRequest().query);
      const res = await decide(server.app, form, 'allow', 'alice', `&scope=${long}`);
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
    });
  });

  describe('PKCE options', () => {
    test('confidential clients may go without PKCE when the option relaxes it; public clients may not', async () => {
      const relaxed = testApp(flowOptions(makeStore, { authorization: { getUser: (req) => req.header('x-user'), login: () => undefined, pkce: { requireForConfidentialClients: false } } }));
      const web = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other', code_challenge: undefined, code_challenge_method: undefined });
      await openConsent(relaxed.app, web.query);
      const spa = await request(relaxed.app).get('/oauth/authorize').query(spaRequest({ code_challenge: undefined, code_challenge_method: undefined }).query).set('x-user', 'alice');
      expect(responseParams(spa.headers.location).get('error')).toBe('invalid_request');
    });

    test('plain is accepted when allowed, also as the default method', async () => {
      const plain = testApp(flowOptions(makeStore, { authorization: { getUser: (req) => req.header('x-user'), login: () => undefined, pkce: { allowPlain: true } } }));
      await openConsent(plain.app, spaRequest({ code_challenge: 'v'.repeat(43), code_challenge_method: 'plain' }).query);
      await openConsent(plain.app, spaRequest({ code_challenge: 'v'.repeat(43), code_challenge_method: undefined }).query);
    });
  });

  describe('remembered consent', () => {
    const remembering = () =>
      testApp(flowOptions(makeStore, { authorization: { getUser: (req) => req.header('x-user'), login: () => undefined, rememberConsent: 3600 } }));

    test('is off by default: every request asks', async () => {
      await decide(server.app, await openConsent(server.app, spaRequest().query), 'allow');
      await openConsent(server.app, spaRequest().query);
    });

    test('once allowed, the same client asking no more than allowed skips the page, for that user only', async () => {
      const remembered = remembering();
      await decide(remembered.app, await openConsent(remembered.app, spaRequest().query), 'allow');
      const again = await request(remembered.app).get('/oauth/authorize').query(spaRequest({ scope: 'read', state: 'again' }).query).set('x-user', 'alice');
      expect(again.status).toBe(302);
      const params = responseParams(again.headers.location);
      expect(params.get('code')).toBeTruthy();
      expect(params.get('state')).toBe('again');
      expect(params.get('iss')).toBe(FLOW_ISSUER);
      await openConsent(remembered.app, spaRequest().query, 'bob');
    });

    test('asks again for more than was allowed, after a deny, and once the time is over', async () => {
      const remembered = remembering();
      await decide(remembered.app, await openConsent(remembered.app, spaRequest().query), 'allow', 'alice', '&scope=read');
      await openConsent(remembered.app, spaRequest().query);
      await decide(remembered.app, await openConsent(remembered.app, spaRequest({ client_id: 'once', redirect_uri: 'https://once.example/cb', scope: 'read' }).query), 'deny');
      await openConsent(remembered.app, spaRequest({ client_id: 'once', redirect_uri: 'https://once.example/cb', scope: 'read' }).query);
      remembered.advance(3601);
      await openConsent(remembered.app, spaRequest({ scope: 'read' }).query);
    });
  });

  describe('the consent decision', () => {
    test('the user may grant less than asked: the code carries only that', async () => {
      const form = await openConsent(server.app, spaRequest().query);
      const res = await decide(server.app, form, 'allow', 'alice', '&scope=read');
      expect(res.status).toBe(303);
      expect(responseParams(res.headers.location).get('code')).toBeTruthy();
    });

    test('granting more than asked: invalid_scope, redirected', async () => {
      const form = await openConsent(server.app, spaRequest({ scope: 'read' }).query);
      const res = await decide(server.app, form, 'allow', 'alice', '&scope=write');
      expect(responseParams(res.headers.location).get('error')).toBe('invalid_scope');
    });

    test('is made once: a second answer is refused on a page', async () => {
      const form = await openConsent(server.app, spaRequest().query);
      await decide(server.app, form, 'allow');
      const again = await decide(server.app, form, 'allow');
      expect(again.status).toBe(400);
      expect(again.headers.location).toBeUndefined();
    });

    test.each([
      ['a wrong CSRF token', (form: { csrf_token: string }) => ({ ...form, csrf_token: 'forged' }), 'alice'],
      ['an unknown transaction', (form: { transaction_id: string }) => ({ ...form, transaction_id: 'forged' }), 'alice'],
      ['another user', (form: object) => form, 'mallory'],
    ])('is refused, on a page, with %s', async (_name, change, user) => {
      const form = await openConsent(server.app, spaRequest().query);
      const res = await decide(server.app, change(form) as typeof form, 'allow', user);
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
    });

    test('a wrong CSRF token uses the request up: it cannot be retried', async () => {
      const form = await openConsent(server.app, spaRequest().query);
      await decide(server.app, { ...form, csrf_token: 'forged' }, 'allow');
      expect((await decide(server.app, form, 'allow')).status).toBe(400);
    });

    test('an anonymous answer is refused on a page', async () => {
      const form = await openConsent(server.app, spaRequest().query);
      const res = await request(server.app).post('/oauth/authorize/decision').type('form').send({ ...form, decision: 'allow' });
      expect(res.status).toBe(400);
    });

    test('an answer that is neither allow nor deny is refused, and the request stays open', async () => {
      const form = await openConsent(server.app, spaRequest().query);
      expect((await decide(server.app, form, 'maybe')).status).toBe(400);
      expect((await decide(server.app, form, 'allow')).status).toBe(303);
    });

    test('an answer after the consent lifetime is refused', async () => {
      const form = await openConsent(server.app, spaRequest().query);
      server.advance(601);
      expect((await decide(server.app, form, 'allow')).status).toBe(400);
    });

    test('the decision endpoint accepts POST only', async () => {
      expect((await request(server.app).get('/oauth/authorize/decision')).status).toBe(405);
    });
  });

  describe('loopback redirect URIs of native apps: any port (RFC 8252 §7.3)', () => {
    const NATIVE = {
      client_id: 'native',
      grant_types: ['authorization_code'],
      redirect_uris: ['http://127.0.0.1/cb', 'http://[::1]:8080/cb', 'http://localhost:3000/cb?app=1'],
      scope: 'read',
      token_endpoint_auth_method: 'none' as const,
    };
    let native: TestApp;
    beforeEach(() => {
      native = testApp(flowOptions(makeStore, { clients: [...FLOW_CLIENTS, NATIVE] }));
    });
    const nativeRequest = (redirectUri: string) => spaRequest({ client_id: 'native', redirect_uri: redirectUri, scope: 'read' });

    test.each([
      ['127.0.0.1 registered without a port', 'http://127.0.0.1:51234/cb'],
      ['[::1] registered with another port', 'http://[::1]:9/cb'],
      ['localhost, without a port', 'http://localhost/cb?app=1'],
      ['localhost, with the highest port', 'http://localhost:65535/cb?app=1'],
    ])('%s: accepted, and the response goes to the port asked for', async (_name, redirectUri) => {
      const res = await decide(native.app, await openConsent(native.app, nativeRequest(redirectUri).query), 'allow');
      expect(res.status).toBe(303);
      expect(res.headers.location.startsWith(`${redirectUri}${redirectUri.includes('?') ? '&' : '?'}code=`)).toBe(true);
    });

    test('the token request must repeat the redirect URI with the port used (RFC 6749 §4.1.3)', async () => {
      const redirectUri = 'http://127.0.0.1:51234/cb';
      const { query, verifier } = nativeRequest(redirectUri);
      const form = { grant_type: 'authorization_code', client_id: 'native', code_verifier: verifier };
      const registeredUri = await tokenRequest(native.app, { ...form, code: await authorize(native.app, query), redirect_uri: 'http://127.0.0.1/cb' });
      expect(registeredUri.body.error).toBe('invalid_grant');
      const sameUri = await tokenRequest(native.app, { ...form, code: await authorize(native.app, query), redirect_uri: redirectUri });
      expect(sameUri.status).toBe(200);
    });

    test.each([
      ['another path', 'http://127.0.0.1:5000/other'],
      ['a longer path', 'http://127.0.0.1:5000/cb/'],
      ['another loopback host than registered', 'http://localhost:5000/cb'],
      ['userinfo that hides another host', 'http://127.0.0.1:80@evil.example/cb'],
      ['userinfo before the loopback host', 'http://evil.example@127.0.0.1:5000/cb'],
      ['a host name that starts like the loopback address', 'http://127.0.0.1.evil.example/cb'],
      ['a backslash after the port', 'http://127.0.0.1:5000\\@evil.example/cb'],
      ['https instead of the registered http', 'https://127.0.0.1:5000/cb'],
      ['another query', 'http://localhost:3000/cb?app=2'],
      ['a fragment', 'http://127.0.0.1:5000/cb#x'],
      ['an empty port', 'http://127.0.0.1:/cb'],
      ['a port past 65535', 'http://127.0.0.1:65536/cb'],
      ['a port with a leading zero', 'http://127.0.0.1:05000/cb'],
      ['an upper-case scheme', 'HTTP://127.0.0.1:5000/cb'],
    ])('%s: refused on a page, never redirected', async (_name, redirectUri) => {
      const res = await request(native.app).get('/oauth/authorize').query(nativeRequest(redirectUri).query).set('x-user', 'alice');
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
    });

    test('only loopback: another http or https host keeps its exact port', async () => {
      const res = await request(server.app).get('/oauth/authorize').query(spaRequest({ redirect_uri: 'https://spa.example:8443/cb' }).query).set('x-user', 'alice');
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
    });
  });
});
