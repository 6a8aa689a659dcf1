import request from 'supertest';
import { basic, testApp, expectOAuthErrorBody, POSTER, SERVICE, ISSUER, type TestApp } from '../helpers/test-app';
import { STORE_KINDS, useStores } from '../helpers/stores';
import type { Store } from '../../lib/stores/store';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';

const makeStore = useStores();
const GATEWAY = { client_id: 'gateway', client_secret: 'gateway-secret', grant_types: [], introspect_any: true };
const PUBLIC = { client_id: 'pub', grant_types: [], scope: 'read' };

describe.each(STORE_KINDS)('introspection endpoint (RFC 7662) on the %s store', (kind) => {
  let subject: TestApp;
  let store: Store;
  beforeAll(() => {
    store = makeStore(kind);
    subject = testApp({ store, clients: [SERVICE, POSTER, GATEWAY, PUBLIC], audience: 'https://api.example.test' });
  });
  afterAll(() => subject.oauth.close());

  async function issue(scope = 'read'): Promise<string> {
    const res = await request(subject.app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send({ grant_type: 'client_credentials', scope });
    return res.body.access_token;
  }
  const introspect = (body: Record<string, string>, authorization = basic('svc', 'svc-secret')) =>
    request(subject.app).post('/oauth/introspect').type('form').set('Authorization', authorization).send(body);

  test('an active token of the caller: every §2.2 field', async () => {
    const token = await issue('read write');
    const res = await introspect({ token });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const now = Math.floor(Date.now() / 1000);
    expect(res.body).toEqual({
      active: true,
      scope: 'read write',
      client_id: 'svc',
      token_type: 'Bearer',
      exp: expect.any(Number),
      iat: expect.any(Number),
      aud: 'https://api.example.test',
      iss: ISSUER,
    });
    expect(res.body.iat).toBeGreaterThanOrEqual(now - 5);
    expect(res.body.exp - res.body.iat).toBe(3600);
  });

  test('sub is given when the token has a user', async () => {
    const token = 'user-token-value';
    const now = Math.floor(Date.now() / 1000);
    await store.saveAccessToken(hashTokenValue(token), { clientId: 'svc', scope: ['read'], sub: 'alice', issuedAt: now, expiresAt: now + 60 });
    expect((await introspect({ token })).body).toMatchObject({ active: true, sub: 'alice' });
  });

  test('a resource server with introspect_any may introspect every token', async () => {
    const token = await issue();
    const res = await introspect({ token }, basic('gateway', 'gateway-secret'));
    expect(res.body).toMatchObject({ active: true, client_id: 'svc' });
  });

  test("another client's token is only {active: false}", async () => {
    const token = await issue();
    const res = await request(subject.app).post('/oauth/introspect').type('form').send({ token, client_id: 'poster', client_secret: 'poster-secret' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: false });
  });

  test.each([
    ['unknown', async () => 'never-issued'],
    ['malformed', async () => '%%%not a token%%%'],
    [
      'revoked',
      async () => {
        const token = await issue();
        await request(subject.app).post('/oauth/revoke').type('form').set('Authorization', basic('svc', 'svc-secret')).send({ token });
        return token;
      },
    ],
    [
      'expired',
      async () => {
        const token = 'expired-token-value';
        const now = Math.floor(Date.now() / 1000);
        await store.saveAccessToken(hashTokenValue(token), { clientId: 'svc', scope: ['read'], issuedAt: now - 120, expiresAt: now - 1 });
        return token;
      },
    ],
    [
      'expiring this second',
      async () => {
        // RFC 7662 §2.2: a token is no longer active from its exp on.
        const token = 'expiring-token-value';
        const now = Math.floor(Date.now() / 1000);
        await store.saveAccessToken(hashTokenValue(token), { clientId: 'svc', scope: ['read'], issuedAt: now - 120, expiresAt: now });
        return token;
      },
    ],
  ])('a %s token is only {active: false}, with no hint which', async (_case, make) => {
    const res = await introspect({ token: await make() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: false });
  });

  /** A refresh token of `svc`, saved as the refresh_token grant saves one; `grantExpiresAt` is its grant's absolute end. */
  async function saveRefreshToken(times: { expiresAt: number; grantExpiresAt: number }): Promise<string> {
    const grantId = generateGrantId();
    const refreshToken = generateTokenValue('', grantId);
    const now = Math.floor(Date.now() / 1000);
    const record = { clientId: 'svc', scope: ['read'], sub: 'alice', grantId, issuedAt: now - 60 };
    await store.saveGrantTokens({
      grantId,
      accessToken: { hash: hashTokenValue(generateTokenValue('', grantId)), record: { ...record, expiresAt: now + 60 } },
      refreshToken: { hash: hashTokenValue(refreshToken), record: { ...record, ...times } },
    });
    return refreshToken;
  }

  test('its own client sees a refresh token as token_type refresh_token, never as an access token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await saveRefreshToken({ expiresAt: now + 600, grantExpiresAt: now + 900 });
    const res = await introspect({ token });
    expect(res.body).toEqual({
      active: true, scope: 'read', client_id: 'svc', token_type: 'refresh_token', sub: 'alice',
      exp: now + 600, iat: now - 60, aud: 'https://api.example.test', iss: ISSUER,
    });
  });

  test('a resource server (introspect_any) learns nothing of a refresh token: {active: false}', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await saveRefreshToken({ expiresAt: now + 600, grantExpiresAt: now + 900 });
    const res = await introspect({ token }, basic('gateway', 'gateway-secret'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: false });
  });

  test('a refresh token past its grant’s absolute lifetime is inactive, even before its own expiry', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await saveRefreshToken({ expiresAt: now + 600, grantExpiresAt: now });
    expect((await introspect({ token })).body).toEqual({ active: false });
  });

  test('a missing token parameter is invalid_request', async () => {
    const res = await introspect({});
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('a token over 4096 characters is invalid_request', async () => {
    const res = await introspect({ token: 'a'.repeat(4097) });
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('an unauthenticated caller: 401 invalid_client', async () => {
    const token = await issue();
    const res = await request(subject.app).post('/oauth/introspect').type('form').send({ token });
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
  });

  test('a public client cannot introspect: 403', async () => {
    const token = await issue();
    const res = await request(subject.app).post('/oauth/introspect').type('form').send({ token, client_id: 'pub' });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('unauthorized_client');
    expect(JSON.stringify(res.body)).not.toContain('active');
  });
});

describe('introspection restricted to resource servers', () => {
  test('with introspection.ownTokens false, only introspect_any clients may call it', async () => {
    const { app, oauth } = testApp({ clients: [SERVICE, GATEWAY], introspection: { ownTokens: false } });
    const token = (await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials')).body.access_token;
    const own = await request(app).post('/oauth/introspect').type('form').set('Authorization', basic('svc', 'svc-secret')).send({ token });
    expect(own.status).toBe(403);
    const gateway = await request(app).post('/oauth/introspect').type('form').set('Authorization', basic('gateway', 'gateway-secret')).send({ token });
    expect(gateway.body.active).toBe(true);
    await oauth.close();
  });
});
