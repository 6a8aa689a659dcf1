import express from 'express';
import request from 'supertest';
import { hashClientSecretSync } from '../../lib/clients/secrets';
import { authorizationCode } from '../../lib/grants/authorization-code';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { refreshToken } from '../../lib/grants/refresh-token';
import { deviceAuthorization, DEVICE_CODE_GRANT_TYPE, type DeviceAuthorizationOptions } from '../../lib/grants/device-code';
import { OAuthServerOptionsError } from '../../lib/options';
import { oauthServer } from '../../lib/server';
import type { Store } from '../../lib/stores/store';
import { STORE_KINDS, useStores, type StoreKind } from '../helpers/stores';
import { flowOptions, testApp } from '../helpers/test-app';

const stores = useStores();
const ISSUER = 'https://as.example/oauth';
const VERIFICATION_URI = 'https://as.example/device';
const CLIENTS = [
  { client_id: 'tv', client_name: 'Living-room TV & co', grant_types: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'], scope: 'read write', token_endpoint_auth_method: 'none' as const },
  { client_id: 'box', client_secret: hashClientSecretSync('box-secret'), grant_types: [DEVICE_CODE_GRANT_TYPE], scope: 'read' },
  { client_id: 'svc', client_secret: hashClientSecretSync('svc-secret'), grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'spa', grant_types: ['authorization_code'], redirect_uris: ['https://spa.example/cb'], scope: 'read', token_endpoint_auth_method: 'none' as const },
];

/** The browser-flow app of test-app.ts with these clients and the device grant added; it keeps its store at hand. */
function deviceApp(kind: StoreKind, options: Partial<DeviceAuthorizationOptions> = {}) {
  let store: Store | undefined;
  const made = testApp({
    ...flowOptions((clock) => (store = stores(kind, clock)), {
      issuer: ISSUER,
      clients: CLIENTS,
      grants: [clientCredentials(), authorizationCode(), refreshToken(), deviceAuthorization({ verificationUri: VERIFICATION_URI, ...options })],
      resources: [{ uri: 'https://as.example/api', scopes: ['read'], accessTokenFormat: 'opaque' }],
    }),
    before: (app) => app.set('trust proxy', 'loopback'),
  });
  return { ...made, store: store as Store };
}
type DeviceApp = ReturnType<typeof deviceApp>;

const start = (app: express.Express, form: Record<string, string> = { client_id: 'tv' }) =>
  request(app).post('/oauth/device_authorization').type('form').send(form);
const poll = (app: express.Express, deviceCode: string, clientId = 'tv') =>
  request(app).post('/oauth/token').type('form').send({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: clientId });
const verify = (app: express.Express, userCode: string, user?: string, from = '192.0.2.1') => {
  const req = request(app).get('/oauth/device/verify').query({ user_code: userCode }).set('X-Forwarded-For', from);
  return user === undefined ? req : req.set('x-user', user);
};
const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] as string;
/** The user opens the code and answers the consent page. */
async function decide(app: express.Express, userCode: string, decision: 'allow' | 'deny', extra: Record<string, string> = {}) {
  const consent = await verify(app, userCode, 'alice');
  expect(consent.status).toBe(200);
  return request(app)
    .post('/oauth/device/decision')
    .set('x-user', 'alice')
    .type('form')
    .send({ transaction_id: field(consent.text, 'transaction_id'), csrf_token: field(consent.text, 'csrf_token'), decision, ...extra });
}
const expectError = (res: request.Response, error: string, status = 400) => expect({ status: res.status, error: res.body.error }).toEqual({ status, error });

describe.each(STORE_KINDS)('device authorization grant, RFC 8628 (%s store)', (kind) => {
  let subject: DeviceApp;
  beforeEach(() => {
    subject = deviceApp(kind);
  });

  test('§3.2: a device gets a 256-bit device code, a short user code and where to enter it', async () => {
    const res = await start(subject.app, { client_id: 'tv', scope: 'read' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      device_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      user_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
      verification_uri: VERIFICATION_URI,
      verification_uri_complete: `${VERIFICATION_URI}?user_code=${res.body.user_code}`,
      expires_in: 600,
      interval: 5,
    });
  });

  test('RFC 8707: the device asks for a token for one resource when it polls; it carries that audience and its scopes', async () => {
    const started = (await start(subject.app, { client_id: 'tv', scope: 'read write' })).body;
    await decide(subject.app, started.user_code, 'allow');
    const unknown = await poll(subject.app, started.device_code).send({ resource: 'https://elsewhere.example/api' });
    expectError(unknown, 'invalid_target');
    const res = await poll(subject.app, started.device_code).send({ resource: 'https://as.example/api' });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('read');
    // A token with an audience is not good at a route bound to none.
    const unbound = await request(subject.app).get('/api/read').set('Authorization', `Bearer ${res.body.access_token}`);
    expect(unbound.status).toBe(401);
    // RFC 8707 §2.2: the refresh keeps the resource the poll named, and its scopes.
    const refreshed = await request(subject.app).post('/oauth/token').type('form').send({ grant_type: 'refresh_token', client_id: 'tv', refresh_token: res.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.scope).toBe('read');
    expect((await request(subject.app).get('/api/read').set('Authorization', `Bearer ${refreshed.body.access_token}`)).status).toBe(401);
  });

  test('§3.1: clients authenticate as at the token endpoint, must be registered for the grant, and ask within their scope', async () => {
    expect((await request(subject.app).post('/oauth/device_authorization').auth('box', 'box-secret').type('form').send({})).status).toBe(200);
    expectError(await request(subject.app).post('/oauth/device_authorization').auth('box', 'wrong').type('form').send({}), 'invalid_client', 401);
    expectError(await request(subject.app).post('/oauth/device_authorization').auth('svc', 'svc-secret').type('form').send({}), 'unauthorized_client');
    expectError(await start(subject.app, { client_id: 'tv', scope: 'admin' }), 'invalid_scope');
    expect((await request(subject.app).get('/oauth/device_authorization')).status).toBe(405);
  });

  test('§3.5: polling before the user decides is authorization_pending; faster than the interval is slow_down, which adds 5 s', async () => {
    const { device_code } = (await start(subject.app)).body;
    expectError(await poll(subject.app, device_code), 'authorization_pending');
    subject.advance(4);
    expectError(await poll(subject.app, device_code), 'slow_down');
    subject.advance(9);
    expectError(await poll(subject.app, device_code), 'slow_down');
    subject.advance(15);
    expectError(await poll(subject.app, device_code), 'authorization_pending');
  });

  test('§3.3: the user signs in, consents, sees the device connected; the next poll gets tokens for the user, once', async () => {
    const { device_code, user_code } = (await start(subject.app)).body;
    const typed = user_code.toLowerCase().replace('-', ' ');
    const anonymous = await verify(subject.app, typed);
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.location).toBe(`/login?returnTo=${encodeURIComponent(`/oauth/device/verify?user_code=${encodeURIComponent(typed).replace(/%20/g, '+')}`)}`);

    const consent = await verify(subject.app, typed, 'alice');
    expect(consent.text).toContain('Living-room TV');
    expect(consent.text).toContain('<ul><li>read</li><li>write</li></ul>');
    expect(consent.headers['x-frame-options']).toBe('DENY');

    const result = await decide(subject.app, user_code, 'allow', { scope: 'read' });
    expect(result.status).toBe(200);
    expect(result.text).toContain('Device connected');
    const tokens = await poll(subject.app, device_code);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: 'read', refresh_token: expect.any(String) });
    expect((await request(subject.app).get('/api/me').auth(tokens.body.access_token, { type: 'bearer' })).body).toMatchObject({ clientId: 'tv', sub: 'alice' });
    expectError(await poll(subject.app, device_code), 'invalid_grant');
    // Decided: the code names nothing any more.
    expect((await verify(subject.app, user_code, 'alice')).status).toBe(400);
  });

  test('§5.4: the consent page says a device is asking and shows its user code, to compare with the device', async () => {
    const { user_code } = (await start(subject.app, { client_id: 'tv' })).body;
    const consent = await verify(subject.app, user_code.replace('-', '').toLowerCase(), 'alice');
    expect(consent.status).toBe(200);
    expect(consent.text).toMatch(/a device is asking/i);
    expect(consent.text).toContain(`<strong>${user_code}</strong>`);
    expect(consent.text).toContain('<h1>Connect Living-room TV &#38; co');
  });

  test('§3.5: a denied request is access_denied (400)', async () => {
    const { device_code, user_code } = (await start(subject.app)).body;
    const result = await decide(subject.app, user_code, 'deny');
    expect(result.text).toContain('Access denied');
    expectError(await poll(subject.app, device_code), 'access_denied');
  });

  test('§3.5: an expired device code is expired_token, and its user code is no longer accepted', async () => {
    const { device_code, user_code } = (await start(subject.app)).body;
    subject.advance(600);
    expectError(await poll(subject.app, device_code), 'expired_token');
    expect((await verify(subject.app, user_code, 'alice')).status).toBe(400);
  });

  test('§3.5: expiry wins over every other state: an approved or fast-polled code past its expiry is expired_token', async () => {
    const approved = (await start(subject.app)).body;
    await decide(subject.app, approved.user_code, 'allow');
    const fast = (await start(subject.app)).body;
    expectError(await poll(subject.app, fast.device_code), 'authorization_pending');
    subject.advance(600);
    expectError(await poll(subject.app, approved.device_code), 'expired_token');
    expectError(await poll(subject.app, fast.device_code), 'expired_token');
    expectError(await poll(subject.app, fast.device_code), 'expired_token');
  });

  test('of two racing polls after approval, exactly one gets the tokens', async () => {
    const { device_code, user_code } = (await start(subject.app)).body;
    await decide(subject.app, user_code, 'allow');
    const polls = await Promise.all([poll(subject.app, device_code), poll(subject.app, device_code)]);
    expect(polls.map((res) => res.status).sort()).toEqual([200, 400]);
  });

  test("another client cannot poll a device's code", async () => {
    const { device_code, user_code } = (await start(subject.app)).body;
    await decide(subject.app, user_code, 'allow');
    const res = await request(subject.app).post('/oauth/token').auth('box', 'box-secret').type('form').send({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code });
    expectError(res, 'invalid_grant');
    // The rightful device still gets its tokens.
    expect((await poll(subject.app, device_code)).status).toBe(200);
  });

  test('§5.1: wrong user codes are limited per address; a blocked address is refused even the right code', async () => {
    const limited = deviceApp(kind, { perAddress: { points: 2 } });
    const { user_code } = (await start(limited.app)).body;
    for (const wrong of ['BBBB-BBBB', 'CCCC-CCCC']) expect((await verify(limited.app, wrong, 'alice')).status).toBe(400);
    expect((await verify(limited.app, user_code, 'alice')).status).toBe(429);
    expect((await verify(limited.app, user_code, 'alice', '192.0.2.99')).status).toBe(200);
  });

  test('§5.1: 200 concurrent look-ups of a right user code from one address all find it (the limit counts wrong codes, not look-ups in flight)', async () => {
    const { user_code: userCode } = (await start(subject.app)).body;
    const device = subject.oauth.device as NonNullable<typeof subject.oauth.device>;
    const found = await Promise.all(Array.from({ length: 200 }, () => device.find(userCode, '192.0.2.1')));
    expect(found.filter((pending) => pending?.clientId === 'tv')).toHaveLength(200);
  }, 60_000);

  test('§5.1: a store failure while a code is looked up counts no wrong code', async () => {
    const limited = deviceApp(kind, { perAddress: { points: 1 } });
    const { user_code } = (await start(limited.app)).body;
    const lookUp = limited.store.findDeviceCodeByUserCode;
    limited.store.findDeviceCodeByUserCode = () => Promise.reject(new Error('store down'));
    expect((await verify(limited.app, user_code, 'alice')).status).toBeGreaterThanOrEqual(500);
    limited.store.findDeviceCodeByUserCode = lookUp;
    expect((await verify(limited.app, user_code, 'alice')).status).toBe(200);
  });

  test('§5.1: a malformed code tests no code and counts nothing', async () => {
    const limited = deviceApp(kind, { perAddress: { points: 1 } });
    const { user_code } = (await start(limited.app)).body;
    expect((await verify(limited.app, 'not a code', 'alice')).status).toBe(400);
    expect((await verify(limited.app, user_code, 'alice')).status).toBe(200);
  });

  test('a device consent cannot be answered at the authorization endpoint, nor a stale form twice', async () => {
    const { user_code } = (await start(subject.app)).body;
    const consent = await verify(subject.app, user_code, 'alice');
    const form = { transaction_id: field(consent.text, 'transaction_id'), csrf_token: field(consent.text, 'csrf_token'), decision: 'allow' };
    const crossed = await request(subject.app).post('/oauth/authorize/decision').set('x-user', 'alice').type('form').send(form);
    expect(crossed.status).toBe(400);
    const again = await request(subject.app).post('/oauth/device/decision').set('x-user', 'alice').type('form').send(form);
    expect(again.status).toBe(400);
  });
});

describe('device authorization configuration', () => {
  const base = { issuer: ISSUER, clients: [CLIENTS[1]] };

  test('metadata lists the endpoint and the grant type (RFC 8628 §4)', () => {
    const { oauth } = deviceApp('memory');
    expect(oauth.metadata).toMatchObject({
      device_authorization_endpoint: `${ISSUER}/device_authorization`,
      grant_types_supported: expect.arrayContaining([DEVICE_CODE_GRANT_TYPE]),
    });
    expect(oauth.device).toBeDefined();
  });

  test.each([
    ['no verificationUri', {}, /`deviceAuthorization.verificationUri` must be/],
    ['a plain http verificationUri', { verificationUri: 'http://tv.example/device' }, /`deviceAuthorization.verificationUri` must be/],
    ['a bad interval', { verificationUri: VERIFICATION_URI, interval: 0 }, /`deviceAuthorization.interval` must be a positive whole number/],
  ])('%s is refused at start-up', (_case, options, message) => {
    expect(() => deviceAuthorization(options as DeviceAuthorizationOptions)).toThrow(message);
  });

  test('with the device grant alone, users sign in for devices but there is no authorization endpoint', async () => {
    const oauth = oauthServer({
      ...base,
      grants: [deviceAuthorization({ verificationUri: VERIFICATION_URI })],
      authorization: { getUser: () => undefined, login: (_req, res) => res.redirect('/login') },
    });
    expect(oauth.metadata).not.toHaveProperty('authorization_endpoint');
    expect(oauth.metadata.response_types_supported).toEqual([]);
    const app = express().use('/oauth', oauth);
    expect((await request(app).get('/oauth/authorize')).status).toBe(404);
    expect((await request(app).get('/oauth/device/verify').query({ user_code: 'BCDF-GHJK' })).status).toBe(302);
    await oauth.close();
  });

  test('the authorization option (login and consent) is required', () => {
    expect(() => oauthServer({ ...base, grants: [deviceAuthorization({ verificationUri: VERIFICATION_URI })] })).toThrow(OAuthServerOptionsError);
  });
});
