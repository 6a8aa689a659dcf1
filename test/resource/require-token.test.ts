import request from 'supertest';
import { basic, testApp, expectOAuthErrorBody, SERVICE, type TestApp } from '../helpers/test-app';
import type { Store } from '../../lib/stores/store';
import { memoryStore } from '../../lib/stores/memory/store';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { hashTokenValue } from '../../lib/tokens/token-value';
import { oauthServer } from '../../lib/server';

let now = 1_800_000_000;
const clock = () => now;
let store: Store;
let subject: TestApp;
beforeEach(() => {
  store = memoryStore({ clock });
  subject = testApp({ store, clock });
});
afterEach(() => subject.oauth.close());

async function issue(scope = 'read write', app = subject.app): Promise<string> {
  const res = await request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send({ grant_type: 'client_credentials', scope });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

const REALM = 'Bearer realm="https://auth.example.test/oauth"';
/** RFC 9449 §7.1: every challenge names the DPoP scheme too, with its algorithms. */
const DPOP = ', DPoP algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 PS384 PS512 RS256 RS384 RS512"';

describe('requireToken (RFC 6750)', () => {
  test('a valid token opens the route and the handler sees who it speaks for', async () => {
    const token = await issue('read');
    const res = await request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ clientId: 'svc', scope: ['read'], expiresAt: now + 3600 });
  });

  test('the scheme is case-insensitive (RFC 7235 §2.1)', async () => {
    const token = await issue('read');
    const res = await request(subject.app).get('/api/read').set('Authorization', `bearer ${token}`);
    expect(res.status).toBe(200);
  });

  test('no token: 401 with a challenge that has no error code (§3.1)', async () => {
    const res = await request(subject.app).get('/api/read');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`${REALM}, scope="read"${DPOP}`);
  });

  test('another scheme counts as no token', async () => {
    const res = await request(subject.app).get('/api/read').set('Authorization', basic('svc', 'svc-secret'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).not.toMatch(/error=/);
  });

  test.each(['unknown-token', 'x'.repeat(43), 'eos_at_abc'])('an unknown token %j: 401 invalid_token', async (token) => {
    const res = await request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(new RegExp(`^${REALM}, error="invalid_token", error_description="[^"]+"${DPOP}$`));
    expectOAuthErrorBody(res.body, 'invalid_token');
  });

  test('an expired token: 401 invalid_token, from the second it expires', async () => {
    const token = await issue('read');
    now += 3599;
    expect((await request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    now += 1;
    const res = await request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  test('a record the store still holds past its expiry is refused all the same', async () => {
    const token = await issue('read');
    await store.saveAccessToken(hashTokenValue(token), { clientId: 'svc', scope: ['read'], issuedAt: now - 100, expiresAt: now - 1 });
    // The memory store keeps it for at least a second; requireToken must still refuse it.
    const res = await request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
  });

  test('a revoked token: 401 invalid_token at once', async () => {
    const token = await issue('read');
    await store.revokeAccessToken(hashTokenValue(token));
    const res = await request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
  });

  test('a token without the scope: 403 insufficient_scope naming the scope (§3.1)', async () => {
    const token = await issue('write');
    const res = await request(subject.app).get('/api/read').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="insufficient_scope", error_description="[^"]+", scope="read", DPoP algs="[^"]+"$/);
    expectOAuthErrorBody(res.body, 'insufficient_scope');
  });

  test('several scopes can be required: all of them', async () => {
    const both = await issue('read write');
    const one = await issue('read');
    expect((await request(subject.app).get('/api/read-write').set('Authorization', `Bearer ${both}`)).status).toBe(200);
    const res = await request(subject.app).get('/api/read-write').set('Authorization', `Bearer ${one}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/scope="read write", DPoP algs="[^"]+"$/);
  });

  test('requireToken() with no scope accepts any valid token', async () => {
    const token = await issue('write');
    expect((await request(subject.app).get('/api/any').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  });

  test.each([
    ['Bearer', 'no token'],
    ['Bearer ', 'empty token'],
    ['Bearer a b', 'two tokens'],
    ['Bearer t*k%n', 'characters outside b64token'],
    ['Bearer abc"def', 'a quote'],
  ])('a malformed Bearer header %j (%s): 400 invalid_request', async (header) => {
    const res = await request(subject.app).get('/api/read').set('Authorization', header);
    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_request"/);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('the query method is off by default: a token in the query opens nothing', async () => {
    const token = await issue('read');
    const res = await request(subject.app).get(`/api/read?access_token=${token}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).not.toMatch(/error=/);
  });

  test('the body method is off by default', async () => {
    const token = await issue('read');
    const res = await request(subject.app).post('/api/read').type('form').send({ access_token: token });
    expect(res.status).toBe(401);
  });

  test('a scope that is not scope tokens is refused when the route is set up', () => {
    expect(() => subject.oauth.requireToken('read  write')).toThrow(TypeError);
    expect(() => subject.oauth.requireToken(['re"ad'])).toThrow(TypeError);
  });
});

describe('requireToken with the optional methods enabled', () => {
  let enabled: TestApp;
  beforeEach(() => {
    enabled = testApp({ store, clock, bearerMethods: { body: true, query: true } });
  });
  afterEach(() => enabled.oauth.close());

  test("the server's limits apply to a token in the body: an over-long value is invalid_request", async () => {
    const limited = testApp({ store, clock, bearerMethods: { body: true }, limits: { maxParameterLength: 40 } });
    const token = await issue('read', limited.app);
    const res = await request(limited.app).post('/api/read').type('form').send({ access_token: token });
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
    await limited.oauth.close();
  });

  test("a query token is read from the URL, whatever query parser the host app set", async () => {
    const plain = testApp({ store, clock, bearerMethods: { query: true }, before: (app) => app.set('query parser', false) });
    const token = await issue('read', plain.app);
    expect((await request(plain.app).get(`/api/read?access_token=${token}`)).status).toBe(200);
    await plain.oauth.close();
  });

  test('form body (§2.2) on POST', async () => {
    const token = await issue('read', enabled.app);
    const res = await request(enabled.app).post('/api/read').type('form').send({ access_token: token });
    expect(res.status).toBe(200);
  });

  test('query (§2.3), answered with Cache-Control: private', async () => {
    const token = await issue('read', enabled.app);
    const res = await request(enabled.app).get(`/api/read?access_token=${token}`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('private');
  });

  test('a token sent by two methods is invalid_request (§2)', async () => {
    const token = await issue('read', enabled.app);
    const res = await request(enabled.app).get(`/api/read?access_token=${token}`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_request');
  });

  test('a repeated query token is invalid_request', async () => {
    const res = await request(enabled.app).get('/api/read?access_token=a&access_token=b');
    expect(res.status).toBe(400);
  });

  test('a body token on a JSON request is not read', async () => {
    const token = await issue('read', enabled.app);
    const res = await request(enabled.app).post('/api/read').send({ access_token: token });
    expect(res.status).toBe(401);
  });
});

describe('requireToken fails closed when the store cannot answer', () => {
  test('503 temporarily_unavailable, and the handler never runs', async () => {
    const reached: string[] = [];
    const failing: Store = {
      ...memoryStore(),
      findAccessToken: async () => {
        throw new TemporarilyUnavailableError('The token store is unreachable.');
      },
    };
    const oauth = oauthServer({ issuer: 'https://a.example/oauth', clients: [], store: failing });
    const app = (await import('express')).default();
    app.get('/x', oauth.requireToken('read'), (_req, res) => {
      reached.push('handler');
      res.end();
    });
    const res = await request(app).get('/x').set('Authorization', 'Bearer abc');
    expect(res.status).toBe(503);
    expectOAuthErrorBody(res.body, 'temporarily_unavailable');
    expect(reached).toEqual([]);
    await oauth.close();
  });

  test('an unexpected store failure is 500 server_error, never a pass', async () => {
    const errors: unknown[] = [];
    const broken: Store = { ...memoryStore(), findAccessToken: async () => Promise.reject(new Error('boom')) };
    const oauth = oauthServer({ issuer: 'https://a.example/oauth', clients: [], store: broken, onError: (e) => errors.push(e) });
    const app = (await import('express')).default();
    app.get('/x', oauth.requireToken(), (_req, res) => res.end());
    const res = await request(app).get('/x').set('Authorization', 'Bearer abc');
    expect(res.status).toBe(500);
    expectOAuthErrorBody(res.body, 'server_error');
    expect(errors).toHaveLength(1);
    await oauth.close();
  });
});

describe('requireToken answers an unexpected failure to read a token as it answers a store failure', () => {
  test.each([
    ['body', 'body'],
    ['query', 'originalUrl'],
  ] as const)('reading the %s fails: 500 server_error, no RFC 6750 challenge, reported to onError', async (method, broken) => {
    const errors: unknown[] = [];
    const oauth = oauthServer({ issuer: 'https://a.example/oauth', clients: [], bearerMethods: { [method]: true }, onError: (e) => errors.push(e) });
    const app = (await import('express')).default();
    const reached: string[] = [];
    const failure = new Error('the request cannot be read');
    app.post(
      '/x',
      (req, _res, next) => {
        Object.defineProperty(req, broken, { get: () => { throw failure; } });
        next();
      },
      oauth.requireToken(),
      (_req, res) => {
        reached.push('handler');
        res.end();
      },
    );
    const res = await request(app).post('/x?access_token=abc').type('form').send('access_token=abc');
    expect(res.status).toBe(500);
    expectOAuthErrorBody(res.body, 'server_error');
    // RFC 6750 §3.1 has no server_error code for the challenge.
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(errors).toEqual([failure]);
    expect(reached).toEqual([]);
    await oauth.close();
  });
});

describe('the default store keeps the server’s time', () => {
  test('a token the server’s clock says is live still opens the route when the system time has moved on', async () => {
    const serverNow = Math.floor(Date.now() / 1000);
    const oauth = oauthServer({ issuer: 'https://a.example/oauth', clients: [SERVICE], clock: () => serverNow });
    const app = (await import('express')).default();
    app.use('/oauth', oauth);
    app.get('/x', oauth.requireToken('read'), (_req, res) => res.end('ok'));
    const token = await issue('read', app);
    // Two hours of system time pass; the server's clock (and so its 1-hour tokens) stands still.
    const systemNow = Date.now;
    jest.spyOn(Date, 'now').mockImplementation(() => systemNow() + 2 * 3600 * 1000);
    try {
      const res = await request(app).get('/x').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
    } finally {
      jest.restoreAllMocks();
      await oauth.close();
    }
  });
});
