import express from 'express';
import request from 'supertest';
import { hashClientSecretSync } from '../../lib/clients/secrets';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { passwordGrant, type PasswordGrantOptions } from '../../lib/grants/password';
import { refreshToken } from '../../lib/grants/refresh-token';
import { OAuthServerOptionsError } from '../../lib/options';
import { oauthServer } from '../../lib/server';
import { STORE_KINDS, useStores } from '../helpers/stores';

const stores = useStores();
const ISSUER = 'https://as.example/oauth';
const USERS: Record<string, string> = { alice: 'alice-password', bob: 'bob-password' };
const verifyUser = async (username: string, password: string) => (USERS[username] === password ? `user:${username}` : undefined);
const CLIENTS = [
  { client_id: 'legacy', client_secret: hashClientSecretSync('legacy-secret'), grant_types: ['password', 'refresh_token'], scope: 'read write' },
  { client_id: 'plain', client_secret: hashClientSecretSync('plain-secret'), grant_types: ['password'], scope: 'read' },
  { client_id: 'svc', client_secret: hashClientSecretSync('svc-secret'), grant_types: ['client_credentials'], scope: 'read' },
];

describe.each(STORE_KINDS)('password grant (%s store)', (kind) => {
  function app(options: Partial<PasswordGrantOptions> = {}) {
    const oauth = oauthServer({
      issuer: ISSUER,
      clients: CLIENTS,
      grants: [clientCredentials(), passwordGrant({ verifyUser, ...options }), refreshToken()],
      store: stores(kind),
      resources: [{ uri: 'https://as.example/api', scopes: ['write'], accessTokenFormat: 'opaque' }],
    });
    const host = express();
    host.use('/oauth', oauth);
    host.get('/api/me', oauth.requireToken('read'), (req, res) => res.json(req.oauth));
    host.get('/api/write', oauth.resource('https://as.example/api').requireToken('write'), (req, res) => res.json(req.oauth));
    return Object.assign(host, { oauth });
  }
  const token = (host: express.Express, form: Record<string, string>, client: [string, string] = ['legacy', 'legacy-secret']) =>
    request(host).post('/oauth/token').auth(client[0], client[1]).type('form').send({ grant_type: 'password', ...form });
  const expectError = (res: request.Response, error: string) => expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error });

  test('the right credentials buy an access token for the user and, for a client registered for refresh_token, a refresh token', async () => {
    const host = app();
    const res = await token(host, { username: 'alice', password: 'alice-password', scope: 'read' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: 'read', refresh_token: expect.any(String) });
    const me = await request(host).get('/api/me').auth(res.body.access_token, { type: 'bearer' });
    expect(me.body).toMatchObject({ clientId: 'legacy', sub: 'user:alice', scope: ['read'] });
    const refreshed = await request(host).post('/oauth/token').auth('legacy', 'legacy-secret').type('form').send({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token });
    expect(refreshed.status).toBe(200);
  });

  test('RFC 8707: a token for a resource has its audience and its scopes; an unknown resource is invalid_target', async () => {
    const host = app();
    expectError(await token(host, { username: 'alice', password: 'alice-password', resource: 'https://elsewhere.example/api' }), 'invalid_target');
    const res = await token(host, { username: 'alice', password: 'alice-password', resource: 'https://as.example/api' });
    expect(res.body.scope).toBe('write');
    const write = await request(host).get('/api/write').auth(res.body.access_token, { type: 'bearer' });
    expect(write.body).toMatchObject({ sub: 'user:alice', audience: 'https://as.example/api', scope: ['write'] });
    // RFC 8707 §2.2: the refresh stays within the resource the request named, with its scopes.
    const refresh = (form: Record<string, string> = {}) =>
      request(host).post('/oauth/token').auth('legacy', 'legacy-secret').type('form').send({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token, ...form });
    const refreshed = await refresh();
    expect(refreshed.body.scope).toBe('write');
    const again = await request(host).get('/api/write').auth(refreshed.body.access_token, { type: 'bearer' });
    expect(again.body).toMatchObject({ audience: 'https://as.example/api' });
    expect((await request(host).get('/api/me').auth(refreshed.body.access_token, { type: 'bearer' })).status).toBe(401);
  });

  test('no refresh token for a client not registered for refresh_token; no scope asked gives the client scope', async () => {
    const res = await token(app(), { username: 'bob', password: 'bob-password' }, ['plain', 'plain-secret']);
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('refresh_token');
    expect(res.body.scope).toBe('read');
  });

  test('200 concurrent requests with the right password all get a token: the per-username limit counts failures, not attempts in flight', async () => {
    const host = app();
    const responses = await Promise.all(Array.from({ length: 200 }, () => token(host, { username: 'alice', password: 'alice-password' })));
    expect(responses.map((res) => res.status)).toEqual(Array(200).fill(200));
  }, 60_000);

  test('50 parallel wrong passwords: at most perUsername.points − 1 + 4 (in flight) are checked, then the username is blocked', async () => {
    let wrongChecks = 0;
    const counting = async (username: string, password: string) => {
      const user = await verifyUser(username, password);
      if (user === undefined) wrongChecks++;
      return user;
    };
    const host = app({ verifyUser: counting });
    const guesses = await Promise.all(Array.from({ length: 50 }, () => token(host, { username: 'bob', password: 'guess' })));
    guesses.forEach((res) => expectError(res, 'invalid_grant'));
    expect(wrongChecks).toBeLessThanOrEqual(5 - 1 + 4);
    expectError(await token(host, { username: 'bob', password: 'bob-password' }), 'invalid_grant');
  }, 30_000);

  test('a wrong password and an unknown user are the same invalid_grant (400)', async () => {
    const host = app();
    const wrong = await token(host, { username: 'alice', password: 'nope' });
    const unknown = await token(host, { username: 'mallory', password: 'nope' });
    expectError(wrong, 'invalid_grant');
    expect(unknown.body).toEqual(wrong.body);
  });

  test('a scope beyond the client is invalid_scope; missing credentials are invalid_request', async () => {
    const host = app();
    expectError(await token(host, { username: 'alice', password: 'alice-password', scope: 'admin' }), 'invalid_scope');
    expectError(await token(host, { username: 'alice' }), 'invalid_request');
  });

  test('a client not registered for password is unauthorized_client', async () => {
    expectError(await token(app(), { username: 'alice', password: 'alice-password' }, ['svc', 'svc-secret']), 'unauthorized_client');
  });

  test('after `points` failures a username is refused even with the right password, as any failure, and others are not', async () => {
    const host = app({ perUsername: { points: 3 } });
    const failures = [];
    for (let i = 0; i < 3; i++) failures.push(await token(host, { username: 'alice', password: `guess-${i}` }));
    const blocked = await token(host, { username: 'alice', password: 'alice-password' });
    expectError(blocked, 'invalid_grant');
    expect(blocked.body).toEqual(failures[0].body);
    expect(blocked.headers['retry-after']).toBeUndefined();
    expect((await token(host, { username: 'bob', password: 'bob-password' })).status).toBe(200);
  });

  test('an unknown username is blocked exactly like a known one', async () => {
    const host = app({ perUsername: { points: 2 } });
    for (const username of ['alice', 'ghost']) {
      const seen = [];
      for (let i = 0; i < 3; i++) seen.push((await token(host, { username, password: 'wrong' })).body);
      expect(new Set(seen.map((body) => JSON.stringify(body))).size).toBe(1);
    }
  });

  test('oauth.limits.checkPassword shares the per-username counters: blocked there after failures here, unchecked', async () => {
    const host = app({ perUsername: { points: 2 } });
    for (let i = 0; i < 2; i++) await token(host, { username: 'alice', password: `guess-${i}` });
    let checked = 0;
    const check = await host.oauth.limits.checkPassword('alice', async () => (checked++, 'alice'));
    expect(check).toEqual({ outcome: 'blocked', retryAfterSeconds: expect.any(Number) });
    expect(checked).toBe(0);
    await expect(host.oauth.limits.checkPassword('bob', async () => 'bob')).resolves.toEqual({ outcome: 'ok', user: 'bob' });
  });

  test('a verifyUser that fails (its store down) counts no failure', async () => {
    let down = true;
    const host = app({ perUsername: { points: 1 }, verifyUser: async (username, password) => (down ? Promise.reject(new Error('users down')) : verifyUser(username, password)) });
    expect((await token(host, { username: 'alice', password: 'alice-password' })).status).toBe(500);
    down = false;
    expect((await token(host, { username: 'alice', password: 'alice-password' })).status).toBe(200);
  });

  test('with perUsername: false, failures block nothing', async () => {
    const host = app({ perUsername: false });
    for (let i = 0; i < 6; i++) await token(host, { username: 'alice', password: 'wrong' });
    expect((await token(host, { username: 'alice', password: 'alice-password' })).status).toBe(200);
  });
});

describe('password grant options', () => {
  test.each([
    ['no options', undefined, /passwordGrant/],
    ['no verifyUser', {}, /`passwordGrant.verifyUser` is required/],
    ['a bad limit', { verifyUser, perUsername: { points: 0 } }, /`passwordGrant.perUsername.points` must be a positive whole number/],
  ])('%s is refused at start-up', (_case, options, message) => {
    expect(() => passwordGrant(options as PasswordGrantOptions)).toThrow(OAuthServerOptionsError);
    expect(() => passwordGrant(options as PasswordGrantOptions)).toThrow(message);
  });

  test('metadata lists password only when enabled', () => {
    const server = oauthServer({ issuer: ISSUER, clients: [CLIENTS[1]], grants: [passwordGrant({ verifyUser })] });
    expect(server.metadata.grant_types_supported).toEqual(['password']);
    void server.close();
  });
});
