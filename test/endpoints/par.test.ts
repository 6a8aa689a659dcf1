import request from 'supertest';
import type { Express } from 'express';
import type { Clock } from '../../lib/clock';
import type { ClientMetadata } from '../../lib/clients/client';
import type { OAuthServerOptions } from '../../lib/options';
import type { ResourceOptions } from '../../lib/options/resources';
import { memoryStore } from '../../lib/stores/memory/store';
import { pushRequest } from '../../lib/authorization/pushed-request';
import type { Client } from '../../lib/clients/client';
import { pushedAuthorizationRequest } from '../../lib/endpoints/pushed-authorization';
import { AS_RECEIVED } from '../../lib/http/form-params';
import { resolveServerOptions } from '../../lib/options/server';
import { hashTokenValue } from '../../lib/tokens/token-value';
import { STORE_KINDS, uniqueKeyPrefix, useStores, type StoreKind } from '../helpers/stores';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { redisStore } from '../../lib/stores/redis/store';
import {
  FLOW_CLIENTS,
  FLOW_ISSUER,
  basic,
  decide,
  exchange,
  expectOAuthErrorBody,
  flowOptions,
  responseParams,
  spaRequest,
  testApp,
  type ConsentForm,
  type Query,
  type TestApp,
} from '../helpers/test-app';

const API = 'https://as.example/api';
const REPORTS = 'https://reports.example/v1';
const RESOURCES: ResourceOptions[] = [
  { uri: API, scopes: ['read'], accessTokenFormat: 'opaque' },
  { uri: REPORTS, scopes: ['write'], accessTokenFormat: 'opaque' },
];

/** A public client registered with require_pushed_authorization_requests (RFC 9126 §6). */
const PUSHER: ClientMetadata = {
  client_id: 'pusher',
  grant_types: ['authorization_code'],
  redirect_uris: ['https://pusher.example/cb'],
  scope: 'read',
  token_endpoint_auth_method: 'none',
  require_pushed_authorization_requests: true,
};

/** A resource server, to introspect the tokens. */
const GATEWAY: ClientMetadata = { client_id: 'gateway', client_secret: 'gateway-secret', grant_types: ['client_credentials'], introspect_any: true };

const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/;

const stores = useStores();

describe.each(STORE_KINDS)('pushed authorization requests, RFC 9126 (%s store)', (kind: StoreKind) => {
  const makeStore = (clock: Clock) => stores(kind, clock);
  let server: TestApp;
  const start = (options: Partial<OAuthServerOptions> = {}) => {
    server = testApp(flowOptions(makeStore, { clients: [...FLOW_CLIENTS, PUSHER, GATEWAY], resources: RESOURCES, ...options }));
    return server;
  };
  beforeEach(() => start());

  /** POST /oauth/par with a form body (a string keeps repeated parameters); the web client authenticates with Basic when asked. */
  function push(form: Query | string, credentials?: [string, string], app: Express = server.app) {
    const req = request(app).post('/oauth/par').type('form');
    if (credentials !== undefined) req.set('Authorization', basic(...credentials));
    return req.send(form);
  }

  /** Pushes a spa request; returns its request_uri and PKCE verifier. */
  async function pushSpa(overrides: Record<string, string | undefined> = {}): Promise<{ requestUri: string; verifier: string }> {
    const { query, verifier } = spaRequest(overrides);
    const res = await push(query);
    expect(res.status).toBe(201);
    return { requestUri: res.body.request_uri as string, verifier };
  }

  /** GET /authorize with a request_uri, signed in as `user` unless undefined. */
  function authorizeWith(query: Query, user: string | null = 'alice') {
    const req = request(server.app).get('/oauth/authorize').query(query);
    return user === null ? req : req.set('x-user', user);
  }

  function consentFields(html: string): ConsentForm {
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] as string;
    return { transaction_id: field('transaction_id'), csrf_token: field('csrf_token'), html };
  }

  /** The request_uri is refused on an error page, never redirected (its redirect URI is not trusted then). */
  function expectErrorPage(res: request.Response): void {
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.type).toBe('text/html');
  }

  describe('the endpoint', () => {
    test('answers 201 with a request_uri of 256 random bits and expires_in, not to be cached', async () => {
      const res = await push(spaRequest().query);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ request_uri: expect.stringMatching(REQUEST_URI), expires_in: 60 });
      expect(res.headers['cache-control']).toBe('no-store');
      const again = await push(spaRequest().query);
      expect(again.body.request_uri).not.toBe(res.body.request_uri);
    });

    test('the lifetime is an option', async () => {
      start({ authorization: { pushedRequestLifetime: 30 } as OAuthServerOptions['authorization'] });
      expect((await push(spaRequest().query)).body.expires_in).toBe(30);
    });

    test('a confidential client authenticates as at the token endpoint; the body may leave client_id out', async () => {
      const { query } = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other', scope: 'admin' });
      const { client_id: _left, ...withoutClientId } = query;
      expect((await push(withoutClientId, ['web', 'web-secret'])).status).toBe(201);
      expect((await push(query, ['web', 'web-secret'])).status).toBe(201);
    });

    test('an unauthenticated or wrongly authenticated push is 401 invalid_client', async () => {
      const { query } = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other' });
      const anonymous = await push(query);
      expect(anonymous.status).toBe(401);
      expectOAuthErrorBody(anonymous.body, 'invalid_client');
      const wrong = await push(query, ['web', 'not-the-secret']);
      expect(wrong.status).toBe(401);
      expect(wrong.headers['www-authenticate']).toMatch(/^Basic /);
      const { client_id: _left, ...noClient } = spaRequest().query;
      expect((await push(noClient)).status).toBe(401);
    });

    test('a client_id in the body must be the authenticated client (checked by the authenticator for Basic)', async () => {
      // A request that would be valid for web, but names spa.
      const res = await push(spaRequest({ client_id: 'spa', redirect_uri: 'https://web.example/other', scope: 'admin' }).query, ['web', 'web-secret']);
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_request');
    });

    test.each([
      ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example/cb' }, 'invalid_request'],
      ['no PKCE for a public client', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
      ['another response_type', { response_type: 'token' }, 'unsupported_response_type'],
      ['a scope the client may not have', { scope: 'admin' }, 'invalid_scope'],
      ['an unknown resource', { resource: 'https://unknown.example' }, 'invalid_target'],
      ['an over-long state', { state: 'x'.repeat(1025) }, 'invalid_request'],
    ])('validated as at /authorize: %s is 400 JSON, never a redirect (§2.3)', async (_name, overrides, code) => {
      const res = await push(spaRequest(overrides).query);
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expectOAuthErrorBody(res.body, code);
    });

    test('a client not registered for the authorization code grant is unauthorized_client', async () => {
      const res = await push(spaRequest({ client_id: 'svc', redirect_uri: 'https://svc.example/cb', scope: 'read' }).query, ['svc', 'svc-secret']);
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'unauthorized_client');
    });

    test('a request_uri inside a pushed request is refused (§2.1)', async () => {
      const { requestUri } = await pushSpa();
      const res = await push(spaRequest({ request_uri: requestUri }).query);
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_request');
    });

    test('resource may be repeated (RFC 8707 §2.1); another repeated parameter is invalid_request', async () => {
      const form = new URLSearchParams(spaRequest().query);
      form.append('resource', API);
      form.append('resource', REPORTS);
      expect((await push(form.toString())).status).toBe(201);
      const repeated = new URLSearchParams(spaRequest().query);
      repeated.append('scope', 'read');
      const res = await push(repeated.toString());
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_request');
    });

    test('only POST', async () => {
      expect((await request(server.app).get('/oauth/par')).status).toBe(405);
    });

    test('a client has at most maxPushedRequestsPerClient waiting: then 429 with Retry-After', async () => {
      start({ authorization: { maxPushedRequestsPerClient: 2 } as OAuthServerOptions['authorization'] });
      await pushSpa();
      const { requestUri } = await pushSpa();
      const refused = await push(spaRequest().query);
      expect(refused.status).toBe(429);
      expectOAuthErrorBody(refused.body, 'temporarily_unavailable');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // Another client is not held back; a used request frees its place.
      expect((await push(spaRequest({ client_id: 'once', redirect_uri: 'https://once.example/cb', scope: 'read' }).query)).status).toBe(201);
      expect((await authorizeWith({ client_id: 'spa', request_uri: requestUri })).status).toBe(200);
      await pushSpa();
    });

    test('is listed in the metadata (RFC 9126 §5)', async () => {
      const res = await request(server.app).get('/oauth/.well-known/oauth-authorization-server');
      expect(res.body).toMatchObject({ pushed_authorization_request_endpoint: `${FLOW_ISSUER}/par`, require_pushed_authorization_requests: false });
    });
  });

  describe('the authorization endpoint with a request_uri (§4)', () => {
    test('the full flow: push, authorize, consent, code, tokens; only the pushed parameters count', async () => {
      const pushed = spaRequest({ scope: 'read' });
      const body = new URLSearchParams(pushed.query);
      body.append('resource', API);
      body.append('resource', REPORTS);
      const res = await push(body.toString());
      expect(res.status).toBe(201);

      // Parameters beside request_uri and client_id are ignored: the scope, state and redirect URI are the pushed ones.
      const page = await authorizeWith({ client_id: 'spa', request_uri: res.body.request_uri, scope: 'write', state: 'other', redirect_uri: 'https://evil.example/cb' });
      expect(page.status).toBe(200);
      expect(page.text).toContain('<ul><li>read</li></ul>');
      const decided = await decide(server.app, consentFields(page.text), 'allow');
      expect(decided.status).toBe(303);
      expect(decided.headers.location.startsWith('https://spa.example/cb?')).toBe(true);
      const params = responseParams(decided.headers.location);
      expect(params.get('state')).toBe('st-123');
      expect(params.get('iss')).toBe(FLOW_ISSUER);

      const tokens = await exchange(server.app, params.get('code') as string, pushed.verifier, { resource: API });
      expect(tokens.status).toBe(200);
      expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: expect.any(String) });
      const introspected = await request(server.app).post('/oauth/introspect').set('Authorization', basic('gateway', 'gateway-secret')).type('form').send({ token: tokens.body.access_token });
      expect(introspected.body).toMatchObject({ active: true, client_id: 'spa', sub: 'alice', aud: API });
    });

    test('a confidential client pushes, and its code is exchanged with its secret', async () => {
      const { query, verifier } = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other', scope: 'admin' });
      const res = await push(query, ['web', 'web-secret']);
      const page = await authorizeWith({ client_id: 'web', request_uri: res.body.request_uri });
      const decided = await decide(server.app, consentFields(page.text), 'allow');
      const code = responseParams(decided.headers.location).get('code') as string;
      const tokens = await request(server.app)
        .post('/oauth/token')
        .set('Authorization', basic('web', 'web-secret'))
        .type('form')
        .send({ grant_type: 'authorization_code', code, redirect_uri: 'https://web.example/other', code_verifier: verifier });
      expect(tokens.status).toBe(200);
      expect(tokens.body.scope).toBe('admin');
    });

    test('a replayed request_uri is refused on an error page', async () => {
      const { requestUri } = await pushSpa();
      expect((await authorizeWith({ client_id: 'spa', request_uri: requestUri })).status).toBe(200);
      const replay = await authorizeWith({ client_id: 'spa', request_uri: requestUri });
      expectErrorPage(replay);
      expect(replay.text).toContain('invalid_request_uri');
    });

    test('an expired request_uri is refused on an error page', async () => {
      const { requestUri } = await pushSpa();
      server.advance(60);
      expectErrorPage(await authorizeWith({ client_id: 'spa', request_uri: requestUri }));
    });

    test("another client's request_uri is refused, and stays usable by its own client", async () => {
      const { requestUri } = await pushSpa();
      expectErrorPage(await authorizeWith({ client_id: 'once', request_uri: requestUri }));
      expect((await authorizeWith({ client_id: 'spa', request_uri: requestUri })).status).toBe(200);
    });

    test('a request_uri without client_id, unknown, or not of this server, is refused on an error page', async () => {
      const { requestUri } = await pushSpa();
      expectErrorPage(await authorizeWith({ request_uri: requestUri }));
      // One character changed (never to itself).
      const changed = `${requestUri.slice(0, -1)}${requestUri.endsWith('A') ? 'B' : 'A'}`;
      expectErrorPage(await authorizeWith({ client_id: 'spa', request_uri: changed }));
      expectErrorPage(await authorizeWith({ client_id: 'spa', request_uri: 'https://client.example/request.jwt' }));
      expect((await authorizeWith({ client_id: 'spa', request_uri: requestUri })).status).toBe(200);
    });

    test('the login round trip: the anonymous user comes back to a new request_uri, which outlives the pushed one; each is used once', async () => {
      const { requestUri, verifier } = await pushSpa();
      const toLogin = await authorizeWith({ client_id: 'spa', request_uri: requestUri }, null);
      expect(toLogin.status).toBe(302);
      const returnTo = new URL(toLogin.headers.location, 'http://host').searchParams.get('returnTo') as string;
      const back = Object.fromEntries(new URLSearchParams(returnTo.split('?')[1]));
      // Only the client and a reference travel through the login: never the request itself.
      expect(Object.keys(back).sort()).toEqual(['client_id', 'request_uri']);
      expect(back.client_id).toBe('spa');
      expect(back.request_uri).toMatch(REQUEST_URI);
      expect(back.request_uri).not.toBe(requestUri);
      // The pushed one is used up.
      expectErrorPage(await authorizeWith({ client_id: 'spa', request_uri: requestUri }));

      // The login takes longer than the pushed request's 60 seconds.
      server.advance(120);
      const page = await request(server.app).get(returnTo).set('x-user', 'alice');
      expect(page.status).toBe(200);
      const decided = await decide(server.app, consentFields(page.text), 'allow');
      const params = responseParams(decided.headers.location);
      expect(params.get('state')).toBe('st-123');
      expect((await exchange(server.app, params.get('code') as string, verifier)).status).toBe(200);
      expectErrorPage(await request(server.app).get(returnTo).set('x-user', 'alice'));
    });

    test('the returned request_uri expires with the consent lifetime', async () => {
      const { requestUri } = await pushSpa();
      const toLogin = await authorizeWith({ client_id: 'spa', request_uri: requestUri }, null);
      const returnTo = new URL(toLogin.headers.location, 'http://host').searchParams.get('returnTo') as string;
      server.advance(600);
      expectErrorPage(await request(server.app).get(returnTo).set('x-user', 'alice'));
    });

    test('POST /authorize takes a request_uri too', async () => {
      const { requestUri } = await pushSpa();
      const res = await request(server.app).post('/oauth/authorize').set('x-user', 'alice').type('form').send({ client_id: 'spa', request_uri: requestUri });
      expect(res.status).toBe(200);
      expect(res.text).toContain('name="csrf_token"');
    });
  });

  describe('require_pushed_authorization_requests (§6)', () => {
    const pusherRequest = () => spaRequest({ client_id: 'pusher', redirect_uri: 'https://pusher.example/cb', scope: 'read' }).query;

    test('a client registered with it cannot start /authorize without a request_uri; others still can', async () => {
      const res = await authorizeWith(pusherRequest());
      expect(res.status).toBe(302);
      const params = responseParams(res.headers.location);
      expect(res.headers.location.startsWith('https://pusher.example/cb?')).toBe(true);
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('state')).toBe('st-123');
      expect((await authorizeWith(spaRequest().query)).status).toBe(200);

      const pushed = await push(pusherRequest());
      expect((await authorizeWith({ client_id: 'pusher', request_uri: pushed.body.request_uri })).status).toBe(200);
    });

    test('server-wide: every client must push, and the metadata says so', async () => {
      start({ authorization: { requirePushedRequests: true } as OAuthServerOptions['authorization'] });
      const res = await authorizeWith(spaRequest().query);
      expect(res.status).toBe(302);
      expect(responseParams(res.headers.location).get('error')).toBe('invalid_request');
      const { requestUri } = await pushSpa();
      expect((await authorizeWith({ client_id: 'spa', request_uri: requestUri })).status).toBe(200);
      const metadata = await request(server.app).get('/oauth/.well-known/oauth-authorization-server');
      expect(metadata.body.require_pushed_authorization_requests).toBe(true);
    });
  });
});

describe('PAR options', () => {
  const base = () => flowOptions((clock) => memoryStore({ clock }));

  test.each([
    ['requirePushedRequests', 'yes', /authorization\.requirePushedRequests` must be true or false/],
    ['pushedRequestLifetime', 0, /authorization\.pushedRequestLifetime` must be a positive whole number/],
    ['maxPushedRequestsPerClient', 1.5, /authorization\.maxPushedRequestsPerClient` must be a positive whole number/],
  ])('%s %p is refused at start-up, naming the option', (key, value, message) => {
    const options = base();
    expect(() => testApp({ ...options, authorization: { ...options.authorization, [key]: value } as OAuthServerOptions['authorization'] })).toThrow(message);
  });

  test('require_pushed_authorization_requests must be a boolean', () => {
    const options = base();
    const clients = [{ ...PUSHER, require_pushed_authorization_requests: 'true' as unknown as boolean }];
    expect(() => testApp({ ...options, clients })).toThrow(/`require_pushed_authorization_requests` must be true or false/);
  });
});

describe('the pushed request endpoint behind client authentication', () => {
  test('refuses a body client_id other than the authenticated client, whatever method authenticated it', async () => {
    const { now: _movableClock, store: _maker, ...serverOptions } = flowOptions(memoryStore());
    const settings = resolveServerOptions(serverOptions);
    const { push } = pushedAuthorizationRequest({ ...settings, options: settings.codeFlow as NonNullable<typeof settings.codeFlow> });
    const web = (await settings.clients.find('web')) as Client;
    const { query } = spaRequest({ client_id: 'spa', redirect_uri: 'https://web.example/other', scope: 'admin' });
    const form = Object.assign({}, { [AS_RECEIVED]: query });
    await expect(push(web, form, undefined)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(push(web, Object.assign({}, { [AS_RECEIVED]: { ...query, client_id: 'web' } }), undefined)).resolves.toMatchObject({ expires_in: 60 });
    await settings.store.close();
  });
});

describe('what a pushed request keeps', () => {
  test('the authorization request parameters only: never client credentials or unknown parameters', async () => {
    const store = memoryStore();
    const params = { response_type: 'code', client_id: 'web', client_secret: 'web-secret', resource: ['https://a.example', 'https://b.example'], x_extra: 'junk' };
    const requestUri = await pushRequest(store, 'web', params, 1_800_000_000, { lifetime: 60, maxPerClient: 10 });
    const kept = await store.takePushedRequest(hashTokenValue(requestUri), 'web');
    expect(kept?.params).toEqual({ response_type: 'code', client_id: 'web', resource: ['https://a.example', 'https://b.example'] });
    await store.close();
  });
});

describe('pushed requests across two instances sharing one Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  test('pushed at one instance, used once at the other', async () => {
    const keyPrefix = uniqueKeyPrefix();
    const [a, b] = [0, 1].map(() => testApp(flowOptions((clock) => redisStore({ url: redis.url, keyPrefix, clock }), { clients: FLOW_CLIENTS })));
    try {
      const { query } = spaRequest();
      const pushed = await request(a.app).post('/oauth/par').type('form').send(query);
      expect(pushed.status).toBe(201);
      const use = (instance: TestApp) => request(instance.app).get('/oauth/authorize').query({ client_id: 'spa', request_uri: pushed.body.request_uri }).set('x-user', 'alice');
      expect((await use(b)).status).toBe(200);
      expect((await use(a)).status).toBe(400);
    } finally {
      await Promise.all([a.oauth.close(), b.oauth.close()]);
    }
  });

  test('one request_uri used 10 times at once, at both instances: exactly one consent page, nine refusals', async () => {
    const keyPrefix = uniqueKeyPrefix();
    const instances = [0, 1].map(() => testApp(flowOptions((clock) => redisStore({ url: redis.url, keyPrefix, clock }), { clients: FLOW_CLIENTS })));
    try {
      const pushed = await request(instances[0].app).post('/oauth/par').type('form').send(spaRequest().query);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request(instances[i % 2].app).get('/oauth/authorize').query({ client_id: 'spa', request_uri: pushed.body.request_uri }).set('x-user', 'alice'),
        ),
      );
      expect(answers.map((res) => res.status).sort()).toEqual([200, ...Array(9).fill(400)]);
    } finally {
      await Promise.all(instances.map((instance) => instance.oauth.close()));
    }
  });
});
