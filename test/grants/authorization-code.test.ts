import { createHash } from 'node:crypto';
import request from 'supertest';
import type { Clock } from '../../lib/clock';
import { STORE_KINDS, useStores } from '../helpers/stores';
import {
  authorize,
  exchange,
  flowOptions,
  spaRequest,
  testApp,
  tokenRequest,
  type TestApp,
} from '../helpers/test-app';

const stores = useStores();

describe.each(STORE_KINDS)('authorization code grant (%s store)', (kind) => {
  const makeStore = (clock: Clock) => stores(kind, clock);
  let server: TestApp;
  beforeEach(() => {
    server = testApp(flowOptions(makeStore));
  });

  async function codeAndVerifier(overrides: Record<string, string | undefined> = {}) {
    const { query, verifier } = spaRequest(overrides);
    return { code: await authorize(server.app, query), verifier };
  }

  function expectError(res: request.Response, status: number, error: string) {
    expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
    expect(res.headers['cache-control']).toBe('no-store');
  }

  test('a code and its PKCE verifier buy an access token for the user and a refresh token', async () => {
    const { code, verifier } = await codeAndVerifier();
    const res = await exchange(server.app, code, verifier);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'read write',
      refresh_token: expect.any(String),
    });
    const me = await request(server.app).get('/api/me').auth(res.body.access_token, { type: 'bearer' });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ clientId: 'spa', sub: 'alice', scope: ['read', 'write'] });
  });

  test('the tokens carry the scope the user granted, when less than asked', async () => {
    const { query, verifier } = spaRequest();
    const code = await authorize(server.app, query, '&scope=read');
    const res = await exchange(server.app, code, verifier);
    expect(res.body.scope).toBe('read');
  });

  test('a confidential client authenticates, and its code works with the redirect URI it used', async () => {
    const { query, verifier } = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other', scope: 'admin' });
    const code = await authorize(server.app, query);
    const form = { grant_type: 'authorization_code', code, redirect_uri: 'https://web.example/other', code_verifier: verifier };
    expectError(await tokenRequest(server.app, { ...form, client_id: 'web' }), 401, 'invalid_client');
    const res = await tokenRequest(server.app, form, ['web', 'web-secret']);
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('admin');
  });

  test('a client without the refresh_token grant gets no refresh token', async () => {
    const { query, verifier } = spaRequest({ client_id: 'once', redirect_uri: 'https://once.example/cb', scope: 'read' });
    const code = await authorize(server.app, query);
    const res = await tokenRequest(server.app, {
      grant_type: 'authorization_code', client_id: 'once', code, redirect_uri: 'https://once.example/cb', code_verifier: verifier,
    });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
  });

  test('a code used twice is invalid_grant, and the tokens issued from it are revoked (RFC 6749 §4.1.2)', async () => {
    const { code, verifier } = await codeAndVerifier();
    const first = await exchange(server.app, code, verifier);
    expectError(await exchange(server.app, code, verifier), 400, 'invalid_grant');
    const me = await request(server.app).get('/api/me').auth(first.body.access_token, { type: 'bearer' });
    expect(me.status).toBe(401);
    expectError(await tokenRequest(server.app, { grant_type: 'refresh_token', client_id: 'spa', refresh_token: first.body.refresh_token }), 400, 'invalid_grant');
  });

  test('a request refused for its verifier or redirect_uri uses nothing up: everything is checked before the code is used', async () => {
    const { code, verifier } = await codeAndVerifier();
    expectError(await exchange(server.app, code, `${verifier.slice(0, -1)}x`), 400, 'invalid_grant');
    expectError(await exchange(server.app, code, verifier, { redirect_uri: 'https://spa.example/other' }), 400, 'invalid_grant');
    expect((await exchange(server.app, code, verifier)).status).toBe(200);
  });

  test("another client presenting a code is refused and uses nothing up: the code's own client still gets its tokens", async () => {
    const { code, verifier } = await codeAndVerifier();
    const form = { grant_type: 'authorization_code', code, redirect_uri: 'https://spa.example/cb', code_verifier: verifier };
    expectError(await tokenRequest(server.app, form, ['web', 'web-secret']), 400, 'invalid_grant');
    expect((await exchange(server.app, code, verifier)).status).toBe(200);
  });

  test("a used code replayed by another client is refused and revokes nothing: a public client's id cannot end a confidential client's grant", async () => {
    const { query, verifier } = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other', scope: 'read' });
    const form = { grant_type: 'authorization_code', code: await authorize(server.app, query), redirect_uri: 'https://web.example/other', code_verifier: verifier };
    const granted = await tokenRequest(server.app, form, ['web', 'web-secret']);
    expect(granted.status).toBe(200);
    expectError(await tokenRequest(server.app, { ...form, client_id: 'spa' }), 400, 'invalid_grant');
    const me = await request(server.app).get('/api/me').auth(granted.body.access_token, { type: 'bearer' });
    expect(me.status).toBe(200);
  });

  test('of two concurrent exchanges of one code, exactly one succeeds', async () => {
    const { code, verifier } = await codeAndVerifier();
    const results = await Promise.all([exchange(server.app, code, verifier), exchange(server.app, code, verifier)]);
    expect(results.map((res) => res.status).sort()).toEqual([200, 400]);
  });

  test('a code expires (60 s by default)', async () => {
    const { code, verifier } = await codeAndVerifier();
    server.advance(61);
    expectError(await exchange(server.app, code, verifier), 400, 'invalid_grant');
  });

  test('a code lifetime can be set', async () => {
    server = testApp(flowOptions(makeStore, { authorization: { getUser: (req) => req.header('x-user'), login: () => undefined, codeLifetime: 5 } }));
    const { code, verifier } = await codeAndVerifier();
    server.advance(6);
    expectError(await exchange(server.app, code, verifier), 400, 'invalid_grant');
  });

  test.each([
    ['a wrong verifier', (verifier: string) => ({ code_verifier: `${verifier.slice(0, -1)}x` }), 400, 'invalid_grant'],
    ['no verifier', () => ({ code_verifier: '' }), 400, 'invalid_grant'],
    ['a verifier that is too short', () => ({ code_verifier: 'a'.repeat(42) }), 400, 'invalid_request'],
    ['a verifier that is too long', () => ({ code_verifier: 'a'.repeat(129) }), 400, 'invalid_request'],
    ['a verifier outside the alphabet', () => ({ code_verifier: `${'a'.repeat(42)}+` }), 400, 'invalid_request'],
    ['another redirect_uri', () => ({ redirect_uri: 'https://spa.example/other' }), 400, 'invalid_grant'],
    // RFC 6749 §4.1.3: "identical": no prefix, case or trailing-slash leniency.
    ['a prefix of the redirect_uri', () => ({ redirect_uri: 'https://spa.example/c' }), 400, 'invalid_grant'],
    ['the redirect_uri in another case', () => ({ redirect_uri: 'https://spa.example/CB' }), 400, 'invalid_grant'],
    ['the redirect_uri with a trailing slash', () => ({ redirect_uri: 'https://spa.example/cb/' }), 400, 'invalid_grant'],
    ['no redirect_uri while the request had one', () => ({ redirect_uri: '' }), 400, 'invalid_request'],
    ['no code', () => ({ code: '' }), 400, 'invalid_request'],
    ['an unknown code', () => ({ code: 'not-a-code' }), 400, 'invalid_grant'],
  ])('%s is refused', async (_name, change, status, error) => {
    const { code, verifier } = await codeAndVerifier();
    expectError(await exchange(server.app, code, verifier, change(verifier)), status, error);
  });

  test.each([
    ['43', `-._~${'A'.repeat(39)}`],
    ['128', `az09-._~${'Z'.repeat(120)}`],
  ])('a verifier of %s characters using every unreserved kind is accepted (RFC 7636 §4.1)', async (_length, verifier) => {
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const { query } = spaRequest({ code_challenge: challenge });
    const code = await authorize(server.app, query);
    expect((await exchange(server.app, code, verifier)).status).toBe(200);
  });

  test('a code issued to another client is invalid_grant', async () => {
    const { code, verifier } = await codeAndVerifier();
    const res = await tokenRequest(server.app, { grant_type: 'authorization_code', client_id: 'once', code, redirect_uri: 'https://spa.example/cb', code_verifier: verifier });
    expectError(res, 400, 'invalid_grant');
  });

  test('a code whose request had no redirect_uri is exchanged without one, or with the same one', async () => {
    const first = await codeAndVerifier({ redirect_uri: undefined });
    expect((await exchange(server.app, first.code, first.verifier, { redirect_uri: '' })).status).toBe(200);
    const second = await codeAndVerifier({ redirect_uri: undefined });
    expect((await exchange(server.app, second.code, second.verifier)).status).toBe(200);
  });

  test('a code whose request had no redirect_uri is refused with a different one (RFC 6749 §4.1.3)', async () => {
    const { code, verifier } = await codeAndVerifier({ redirect_uri: undefined });
    expectError(await exchange(server.app, code, verifier, { redirect_uri: 'https://spa.example/other' }), 400, 'invalid_grant');
  });

  test('a verifier is refused when the request had no challenge (RFC 9700 §2.1.1)', async () => {
    server = testApp(flowOptions(makeStore, {
      authorization: { getUser: (req) => req.header('x-user'), login: () => undefined, pkce: { requireForConfidentialClients: false } },
    }));
    const { query, verifier } = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other', code_challenge: undefined, code_challenge_method: undefined });
    const form = (code: string, extra: Record<string, string> = {}) => ({ grant_type: 'authorization_code', code, redirect_uri: 'https://web.example/other', ...extra });
    const withVerifier = await tokenRequest(server.app, form(await authorize(server.app, query), { code_verifier: verifier }), ['web', 'web-secret']);
    expectError(withVerifier, 400, 'invalid_grant');
    const without = await tokenRequest(server.app, form(await authorize(server.app, query)), ['web', 'web-secret']);
    expect(without.status).toBe(200);
  });

  test('a plain challenge, when allowed, is checked as plain', async () => {
    server = testApp(flowOptions(makeStore, { authorization: { getUser: (req) => req.header('x-user'), login: () => undefined, pkce: { allowPlain: true } } }));
    const verifier = 'p'.repeat(50);
    const code = await authorize(server.app, spaRequest({ code_challenge: verifier, code_challenge_method: 'plain' }).query);
    expect((await exchange(server.app, code, verifier)).status).toBe(200);
  });
});
