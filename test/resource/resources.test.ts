import request from 'supertest';
import type { Express } from 'express';
import type { ResourceOptions } from '../../lib/options/resources';
import type { OAuthServer } from '../../lib/server';
import type { ClientMetadata } from '../../lib/clients/client';
import { STORE_KINDS, useStores } from '../helpers/stores';
import {
  FLOW_CLIENTS,
  authorize,
  exchange,
  expectOAuthErrorBody,
  flowOptions,
  refreshRequest,
  responseParams,
  spaRequest,
  testApp,
  tokenRequest,
} from '../helpers/test-app';

const API = 'https://as.example/api';
const REPORTS = 'https://reports.example/v1';
/** Opaque here: the JWT form has its own tests (jwt-access-tokens.test.ts). */
const RESOURCES: ResourceOptions[] = [
  { uri: API, scopes: ['read', 'admin'], accessTokenFormat: 'opaque', name: 'The API' },
  { uri: REPORTS, scopes: ['write'], accessTokenFormat: 'opaque', accessTokenLifetime: 120 },
];

/** A service client with scopes at both resources. */
const ROBOT: ClientMetadata = { client_id: 'robot', client_secret: 'robot-secret', grant_types: ['client_credentials'], scope: 'read write admin' };

const makeStore = useStores();

/** Routes of both resources and the unbound requireToken, as a host app mounts them. */
function resourceApp(kind: (typeof STORE_KINDS)[number]): { app: Express; oauth: OAuthServer; advance(seconds: number): void } {
  const made = testApp({ ...flowOptions((clock) => makeStore(kind, clock)), clients: [...FLOW_CLIENTS, ROBOT], resources: RESOURCES });
  const api = made.oauth.resource(API);
  const reports = made.oauth.resource(REPORTS, { acceptTokensWithoutAudience: true });
  made.app.get(api.metadataPath, api.metadataHandler);
  made.app.get('/api/hello', api.requireToken('read'), (req, res) => void res.json(req.oauth));
  made.app.get('/v1/reports', reports.requireToken('write'), (req, res) => void res.json(req.oauth));
  return made;
}

const serviceToken = (app: Express, form: Record<string, string> = {}) =>
  tokenRequest(app, { grant_type: 'client_credentials', ...form }, ['robot', 'robot-secret']);

describe.each(STORE_KINDS)('resources (RFC 8707) on the %s store', (kind) => {
  let app: Express;
  let oauth: OAuthServer;
  beforeEach(() => {
    ({ app, oauth } = resourceApp(kind));
  });

  describe('at the token endpoint', () => {
    it('issues a token for the named resource, with only the scopes it understands (RFC 8707 §2.2)', async () => {
      // robot may have read write admin; the API understands read and admin.
      const res = await serviceToken(app, { resource: API, scope: 'read write' });
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('read');
      const hello = await request(app).get('/api/hello').set('Authorization', `Bearer ${res.body.access_token}`);
      expect(hello.status).toBe(200);
      expect(hello.body).toEqual({ clientId: 'robot', scope: ['read'], expiresAt: expect.any(Number), audience: API });
    });

    it('gives the resource its own token lifetime', async () => {
      const res = await serviceToken(app, { resource: REPORTS });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ expires_in: 120, scope: 'write' });
    });

    it("bounds a resource token's lifetime by the resource's (or the server's), shortened to the client's: no JWT outlives its key's publication", async () => {
      const long: ClientMetadata = { ...ROBOT, client_id: 'long', client_secret: 'long-secret', access_token_lifetime: 86400 };
      const short: ClientMetadata = { ...ROBOT, client_id: 'short', client_secret: 'short-secret', access_token_lifetime: 60 };
      const { app: lifetimes } = testApp({ ...flowOptions((clock) => makeStore(kind, clock)), clients: [long, short], resources: RESOURCES });
      const expiresIn = async (id: string, form: Record<string, string>) =>
        (await tokenRequest(lifetimes, { grant_type: 'client_credentials', ...form }, [id, `${id}-secret`])).body.expires_in;
      expect(await expiresIn('long', {})).toBe(86400);
      expect(await expiresIn('long', { resource: API })).toBe(3600);
      expect(await expiresIn('long', { resource: REPORTS })).toBe(120);
      expect(await expiresIn('short', { resource: REPORTS })).toBe(60);
    });

    it('refuses an unknown resource with invalid_target (RFC 8707 §2)', async () => {
      const res = await serviceToken(app, { resource: 'https://elsewhere.example/api' });
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_target');
    });

    it('refuses two resources in one token request: one access token has one audience', async () => {
      const res = await request(app).post('/oauth/token').auth('robot', 'robot-secret').type('form').send(`grant_type=client_credentials&resource=${encodeURIComponent(API)}&resource=${encodeURIComponent(REPORTS)}`);
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_target');
    });

    it('answers invalid_scope when the client has no scope the resource understands', async () => {
      const res = await tokenRequest(app, { grant_type: 'client_credentials', resource: REPORTS }, ['svc', 'svc-secret']);
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_scope');
    });

    it('shows the audience in introspection (RFC 7662 §2.2)', async () => {
      const token = (await serviceToken(app, { resource: API })).body.access_token;
      const res = await request(app).post('/oauth/introspect').auth('robot', 'robot-secret').type('form').send({ token });
      expect(res.body).toMatchObject({ active: true, aud: API, scope: 'read admin', client_id: 'robot' });
    });
  });

  describe('at the protected routes', () => {
    it('refuses a token for another audience with invalid_token and names the metadata (RFC 9728 §5.1)', async () => {
      const token = (await serviceToken(app, { resource: REPORTS })).body.access_token;
      const res = await request(app).get('/api/hello').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="${'https://as.example/oauth'}", resource_metadata="https://as.example/.well-known/oauth-protected-resource/api", error="invalid_token", error_description="The access token is invalid, expired or revoked.", DPoP algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 PS384 PS512 RS256 RS384 RS512"`,
      );
    });

    it('refuses a token without audience at a resource, unless the resource accepts those', async () => {
      const token = (await serviceToken(app)).body.access_token;
      expect((await request(app).get('/api/hello').set('Authorization', `Bearer ${token}`)).status).toBe(401);
      expect((await request(app).get('/v1/reports').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    });

    it('keeps the unbound requireToken for tokens without audience', async () => {
      const forApi = (await serviceToken(app, { resource: API })).body.access_token;
      const plain = (await serviceToken(app)).body.access_token;
      expect((await request(app).get('/api/read').set('Authorization', `Bearer ${forApi}`)).status).toBe(401);
      expect((await request(app).get('/api/read').set('Authorization', `Bearer ${plain}`)).status).toBe(200);
    });

    it('names the metadata in the 401 without a token and in the 403 (RFC 9728 §5.1)', async () => {
      const none = await request(app).get('/api/hello');
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toContain('resource_metadata="https://as.example/.well-known/oauth-protected-resource/api"');
      const token = (await tokenRequest(app, { grant_type: 'client_credentials', resource: API, scope: 'admin' }, ['robot', 'robot-secret'])).body.access_token;
      const forbidden = await request(app).get('/api/hello').set('Authorization', `Bearer ${token}`);
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers['www-authenticate']).toMatch(/resource_metadata="[^"]+", error="insufficient_scope".*scope="read", DPoP algs="[^"]+"$/);
    });

    it('serves the RFC 9728 document at the path-insertion URL', async () => {
      const res = await request(app).get('/.well-known/oauth-protected-resource/api');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        resource: API,
        authorization_servers: ['https://as.example/oauth'],
        scopes_supported: ['read', 'admin'],
        bearer_methods_supported: ['header'],
        resource_name: 'The API',
        dpop_signing_alg_values_supported: ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'],
      });
    });
  });

  describe('through the authorization code flow', () => {
    it('refuses an unknown resource at /authorize by redirecting invalid_target with state and iss', async () => {
      const { query } = spaRequest({ resource: 'https://elsewhere.example/api' });
      const res = await request(app).get('/oauth/authorize').query(query).set('x-user', 'alice');
      expect(res.status).toBe(302);
      const params = responseParams(res.headers.location);
      expect(params.get('error')).toBe('invalid_target');
      expect(params.get('state')).toBe('st-123');
      expect(params.get('iss')).toBe('https://as.example/oauth');
    });

    it('issues each token for one of the resources the authorization named, and refresh may switch among them (RFC 8707 §2.2)', async () => {
      const { query, verifier } = spaRequest({ scope: 'read write' });
      const search = `${new URLSearchParams(query)}&resource=${encodeURIComponent(API)}&resource=${encodeURIComponent(REPORTS)}`;
      const form = await (async () => {
        const res = await request(app).get(`/oauth/authorize?${search}`).set('x-user', 'alice');
        expect(res.status).toBe(200);
        const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(res.text)?.[1] as string;
        return { transaction_id: field('transaction_id'), csrf_token: field('csrf_token'), html: res.text };
      })();
      const decided = await request(app).post('/oauth/authorize/decision').set('x-user', 'alice').type('form').send({ ...form, decision: 'allow' });
      const code = responseParams(decided.headers.location).get('code') as string;

      // Two resources were named: the token request must say which one.
      const unnamed = await exchange(app, code, verifier);
      expect(unnamed.status).toBe(400);
      expectOAuthErrorBody(unnamed.body, 'invalid_target');

      const tokens = await exchange(app, code, verifier, { resource: API });
      expect(tokens.status).toBe(200);
      expect(tokens.body.scope).toBe('read');
      const hello = await request(app).get('/api/hello').set('Authorization', `Bearer ${tokens.body.access_token}`);
      expect(hello.body).toMatchObject({ sub: 'alice', audience: API });

      const outside = await tokenRequest(app, { grant_type: 'refresh_token', client_id: 'spa', refresh_token: tokens.body.refresh_token, resource: 'https://elsewhere.example/api' });
      expectOAuthErrorBody(outside.body, 'invalid_target');
      const forReports = await tokenRequest(app, { grant_type: 'refresh_token', client_id: 'spa', refresh_token: tokens.body.refresh_token, resource: REPORTS });
      expect(forReports.status).toBe(200);
      expect(forReports.body.scope).toBe('write');
      const report = await request(app).get('/v1/reports').set('Authorization', `Bearer ${forReports.body.access_token}`);
      expect(report.body).toMatchObject({ sub: 'alice', audience: REPORTS, scope: ['write'] });
    });

    it('issues the token for the only resource named when the token request names none', async () => {
      const { query, verifier } = spaRequest({ scope: 'read', resource: API });
      const tokens = await exchange(app, await authorize(app, query), verifier);
      expect(tokens.status).toBe(200);
      const hello = await request(app).get('/api/hello').set('Authorization', `Bearer ${tokens.body.access_token}`);
      expect(hello.body.audience).toBe(API);
      // The refresh token keeps the grant's resources.
      const refreshed = await refreshRequest(app, tokens.body.refresh_token);
      const again = await request(app).get('/api/hello').set('Authorization', `Bearer ${refreshed.body.access_token}`);
      expect(again.body.audience).toBe(API);
    });

    it('keeps a grant authorized without a resource open, as the consent was: a token request may name any resource, and a refresh with none gets a token without audience', async () => {
      const { query, verifier } = spaRequest({ scope: 'read write' });
      const tokens = await exchange(app, await authorize(app, query), verifier, { resource: REPORTS });
      expect(tokens.body.scope).toBe('write');
      const forApi = await tokenRequest(app, { grant_type: 'refresh_token', client_id: 'spa', refresh_token: tokens.body.refresh_token, resource: API });
      expect(forApi.body.scope).toBe('read');
      const unnamed = await refreshRequest(app, forApi.body.refresh_token);
      expect(unnamed.body.scope).toBe('read write');
      const unbound = await request(app).get('/v1/reports').set('Authorization', `Bearer ${unnamed.body.access_token}`);
      expect(unbound.body).toMatchObject({ sub: 'alice', scope: ['read', 'write'] });
      expect(unbound.body.audience).toBeUndefined();
    });
  });

  it('refuses oauth.resource() of a uri that is not configured', () => {
    expect(() => oauth.resource('https://elsewhere.example/api')).toThrow(TypeError);
  });
});

describe('the resources option', () => {
  const start = (resources: unknown) => () => testApp({ resources: resources as ResourceOptions[] });
  it.each([
    ['a fragment', [{ uri: 'https://a.example/api#x', scopes: ['read'] }], /no query or fragment/],
    ['a query', [{ uri: 'https://a.example/api?v=1', scopes: ['read'] }], /no query or fragment/],
    ['a relative uri', [{ uri: '/api', scopes: ['read'] }], /absolute URL/],
    ['plain http off loopback', [{ uri: 'http://a.example/api', scopes: ['read'] }], /https/],
    // It is quoted in every challenge's resource_metadata (RFC 9728 §5.1).
    ['a quote', [{ uri: 'https://a.example/a"pi', scopes: ['read'] }], /outside RFC 3986/],
    ['no scopes', [{ uri: 'https://a.example/api', scopes: [] }], /scopes/],
    ['a bad scope token', [{ uri: 'https://a.example/api', scopes: ['a"b'] }], /scopes/],
    ['a duplicate', [{ uri: 'https://a.example/api', scopes: ['read'] }, { uri: 'https://a.example/api', scopes: ['write'] }], /twice/],
    ['an unknown format', [{ uri: 'https://a.example/api', scopes: ['read'], accessTokenFormat: 'paseto' }], /accessTokenFormat/],
    ['an unknown key', [{ uri: 'https://a.example/api', scopes: ['read'], audience: 'x' }], /audience/],
  ])('refuses %s', (_name, resources, message) => {
    expect(start(resources)).toThrow(message);
  });
});
