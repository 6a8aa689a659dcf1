import request from 'supertest';
import type { Express } from 'express';
import type { ClientMetadata } from '../../lib/clients/client';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { ID_JAG_TYPE, jwtBearer, JWT_BEARER_GRANT_TYPE, type JwtBearerOptions } from '../../lib/grants/jwt-bearer';
import type { Clock } from '../../lib/clock';
import type { Store } from '../../lib/stores/store';
import { STORE_KINDS, useStores, type StoreKind } from '../helpers/stores';
import { sendAtOnce, twoInstances } from '../helpers/two-instances';
import { ISSUER, basic, expectOAuthErrorBody, testApp } from '../helpers/test-app';
import { assertionSigner, unsecuredJwt, type AssertionSigner } from '../helpers/assertions';

/** The JWT bearer grant (RFC 7523 §2.1, §3) and Identity Assertion JWT Authorization Grants (typ oauth-id-jag+jwt). */
const NOW = 1_800_000_000;
const IDP = 'https://idp.example';
const API = 'https://api.example/v1';
const OTHER_API = 'https://api.example/v2';
const stores = useStores();

let idp: AssertionSigner;
let forger: AssertionSigner;
beforeAll(async () => {
  idp = await assertionSigner('RS256', 'idp-1');
  forger = await assertionSigner('RS256', 'idp-1');
});

const AGENT: ClientMetadata = { client_id: 'agent', client_secret: 'agent-secret', grant_types: [JWT_BEARER_GRANT_TYPE], scope: 'read write' };
const OTHER: ClientMetadata = { client_id: 'other', client_secret: 'other-secret', grant_types: [JWT_BEARER_GRANT_TYPE], scope: 'read' };
const PUBLIC: ClientMetadata = { client_id: 'public', token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER_GRANT_TYPE], scope: 'read' };

function bearerApp(kind: StoreKind, options: Partial<JwtBearerOptions> = {}): Express {
  return bearerAppOn((clock) => stores(kind, clock), options);
}

function bearerAppOn(store: (clock: Clock) => Store, options: Partial<JwtBearerOptions> = {}): Express {
  return testApp({
    store,
    now: NOW,
    clients: [AGENT, OTHER, PUBLIC],
    grants: [clientCredentials(), jwtBearer({ trustedIssuers: [{ issuer: IDP, jwks: { keys: [idp.publicJwk] } }], ...options })],
    resources: [
      { uri: API, scopes: ['read'], accessTokenFormat: 'opaque' },
      { uri: OTHER_API, scopes: ['read'], accessTokenFormat: 'opaque' },
    ],
  }).app;
}

const claims = (overrides: Record<string, unknown> = {}) =>
  Object.fromEntries(Object.entries({ iss: IDP, sub: 'alice', aud: ISSUER, iat: NOW, exp: NOW + 60, jti: `j-${Math.random()}`, ...overrides }).filter(([, value]) => value !== undefined));
const idJagClaims = (overrides: Record<string, unknown> = {}) => claims({ client_id: 'agent', resource: API, scope: 'read', ...overrides });
const asIdJag = (payload: Record<string, unknown>, typ: string = ID_JAG_TYPE) => idp.sign(payload, { typ });

const exchange = (app: Express, assertion: string, extra: Record<string, string> = {}, client: [string, string] = ['agent', 'agent-secret']) =>
  request(app).post('/oauth/token').set('Authorization', basic(...client)).type('form').send({ grant_type: JWT_BEARER_GRANT_TYPE, assertion, ...extra });
const introspect = (app: Express, token: string) => request(app).post('/oauth/introspect').set('Authorization', basic('agent', 'agent-secret')).type('form').send({ token });

describe.each(STORE_KINDS)('JWT bearer grant (%s store)', (kind) => {
  test('an assertion of a trusted issuer gets a token whose sub is the assertion sub, within the client scope; the metadata lists the grant', async () => {
    const app = bearerApp(kind);
    const res = await exchange(app, await idp.sign(claims()), { scope: 'write' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'write' });
    expect(res.body).not.toHaveProperty('refresh_token');
    expect((await introspect(app, res.body.access_token)).body).toMatchObject({ active: true, sub: 'alice', client_id: 'agent', scope: 'write' });
    // The token endpoint URL is accepted as aud too (RFC 7523 §3 item 3).
    expect((await exchange(app, await idp.sign(claims({ aud: `${ISSUER}/token` })))).status).toBe(200);
    expect((await request(app).get('/oauth/.well-known/oauth-authorization-server')).body.grant_types_supported).toContain(JWT_BEARER_GRANT_TYPE);
  });

  test('mapSubject maps the subject, or refuses it with invalid_grant', async () => {
    const seen: unknown[] = [];
    const app = bearerApp(kind, {
      mapSubject: async (sub, payload, client) => {
        seen.push([sub, payload.iss, client.id]);
        return sub === 'alice' ? 'user-17' : undefined;
      },
    });
    const res = await exchange(app, await idp.sign(claims()));
    expect((await introspect(app, res.body.access_token)).body.sub).toBe('user-17');
    expectOAuthErrorBody((await exchange(app, await idp.sign(claims({ sub: 'mallory' })))).body, 'invalid_grant');
    expect(seen).toEqual([['alice', IDP, 'agent'], ['mallory', IDP, 'agent']]);
  });

  test('a jti is used once (RFC 7523 §3 item 7), whichever client presents it', async () => {
    const app = bearerApp(kind);
    const assertion = await idp.sign(claims());
    expect((await exchange(app, assertion)).status).toBe(200);
    expectOAuthErrorBody((await exchange(app, assertion)).body, 'invalid_grant');
    expectOAuthErrorBody((await exchange(app, assertion, {}, ['other', 'other-secret'])).body, 'invalid_grant');
  });

  // As a client assertion (test/client-auth/private-key-jwt.test.ts) and a DPoP proof: every check first, the jti used up last.
  test.each([
    ['a scope beyond the client', 'invalid_scope', () => idp.sign(claims()), { scope: 'admin' }],
    ['a scope none of which is for the named resource', 'invalid_scope', () => idp.sign(claims()), { scope: 'write', resource: API }],
    ['an ID-JAG with a scope beyond the assertion', 'invalid_scope', () => asIdJag(idJagClaims()), { scope: 'write' }],
    ['an ID-JAG with another resource than the assertion', 'invalid_target', () => asIdJag(idJagClaims()), { resource: OTHER_API }],
  ])('a request refused for %s (%s) leaves the assertion unused: the corrected request gets the token, and only once', async (_name, error, make, wrong) => {
    const app = bearerApp(kind);
    const assertion = await make();
    const refusedRequest = await exchange(app, assertion, wrong);
    expect(refusedRequest.status).toBe(400);
    expectOAuthErrorBody(refusedRequest.body, error);
    expect((await exchange(app, assertion)).status).toBe(200);
    expectOAuthErrorBody((await exchange(app, assertion)).body, 'invalid_grant');
  });

  const refused: [string, () => Promise<string>][] = [
    ['from an issuer not trusted', () => idp.sign(claims({ iss: 'https://elsewhere.example' }))],
    ['signed by another key', () => forger.sign(claims())],
    ['for another audience', () => idp.sign(claims({ aud: 'https://other-as.example' }))],
    ['expired', () => idp.sign(claims({ iat: NOW - 300, exp: NOW - 60 }))],
    ['too long-lived', () => idp.sign(claims({ exp: NOW + 3600 }))],
    ['issued in the future', () => idp.sign(claims({ iat: NOW + 100, exp: NOW + 160 }))],
    ['without jti', () => idp.sign(claims({ jti: undefined }))],
    ['without sub', () => idp.sign(claims({ sub: undefined }))],
    ['alg none', async () => unsecuredJwt(claims())],
    ['not a JWT', async () => 'garbage'],
  ];
  test.each(refused)('an assertion %s is invalid_grant', async (_name, make) => {
    const res = await exchange(bearerApp(kind), await make());
    expect(res.status).toBe(400);
    expectOAuthErrorBody(res.body, 'invalid_grant');
  });

  test('without an assertion: invalid_request; a scope beyond the client: invalid_scope; a public client: unauthorized_client', async () => {
    const app = bearerApp(kind);
    expectOAuthErrorBody((await request(app).post('/oauth/token').set('Authorization', basic('agent', 'agent-secret')).type('form').send({ grant_type: JWT_BEARER_GRANT_TYPE })).body, 'invalid_request');
    expectOAuthErrorBody((await exchange(app, await idp.sign(claims()), { scope: 'admin' })).body, 'invalid_scope');
    const publicClient = await request(app).post('/oauth/token').type('form').send({ grant_type: JWT_BEARER_GRANT_TYPE, client_id: 'public', assertion: await idp.sign(claims()) });
    expectOAuthErrorBody(publicClient.body, 'unauthorized_client');
  });

  describe('Identity Assertion JWT Authorization Grant (typ oauth-id-jag+jwt)', () => {
    test('an ID-JAG for this client gets a token for its resource and within its scope', async () => {
      const app = bearerApp(kind);
      const res = await exchange(app, await asIdJag(idJagClaims()));
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('read');
      expect((await introspect(app, res.body.access_token)).body).toMatchObject({ active: true, sub: 'alice', aud: API, scope: 'read' });
    });

    test.each([
      ['issued for another client', () => asIdJag(idJagClaims({ client_id: 'other' }))],
      // RFC 7515 §4.1.9: "application/" may be left out of typ, and media types are case-insensitive (RFC 2045 §5.1).
      ['issued for another client, typ application/oauth-id-jag+jwt', () => asIdJag(idJagClaims({ client_id: 'other' }), `application/${ID_JAG_TYPE}`)],
      ['issued for another client, typ in capitals', () => asIdJag(idJagClaims({ client_id: 'other' }), ID_JAG_TYPE.toUpperCase())],
      ['without client_id', () => asIdJag(idJagClaims({ client_id: undefined }))],
      ['addressed to the token endpoint, not the issuer', () => asIdJag(idJagClaims({ aud: `${ISSUER}/token` }))],
    ])('an ID-JAG %s is invalid_grant', async (_name, make) => {
      expectOAuthErrorBody((await exchange(bearerApp(kind), await make())).body, 'invalid_grant');
    });

    test('its resource must be one this server knows, and its scope bounds the request', async () => {
      const app = bearerApp(kind);
      expectOAuthErrorBody((await exchange(app, await asIdJag(idJagClaims({ resource: 'https://unknown.example' })))).body, 'invalid_target');
      // Without a resource (whose scopes would bound it too): write is the client's, not the assertion's.
      expectOAuthErrorBody((await exchange(app, await asIdJag(idJagClaims({ resource: undefined })), { scope: 'write' })).body, 'invalid_scope');
      expect((await exchange(app, await asIdJag(idJagClaims({ resource: undefined, scope: 'read write' })), { scope: 'write' })).status).toBe(200);
    });
  });
});

describe('two instances on one Redis, as behind a load balancer', () => {
  test.each([
    ['an assertion from a trusted issuer', () => idp.sign(claims())],
    ['an ID-JAG', () => asIdJag(idJagClaims())],
  ])('%s sent 10 times at once, to both instances: exactly one token, nine invalid_grant (RFC 7523 §3 item 7)', async (_name, make) => {
    const instances = twoInstances(stores, (store) => bearerAppOn(store));
    const assertion = await make();
    const answers = await sendAtOnce(instances, 10, (app) => exchange(app, assertion));
    expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
    expect(answers.filter((res) => res.status === 400 && res.body.error === 'invalid_grant')).toHaveLength(9);
  });
});

describe('jwtBearer() options are checked when it is called', () => {
  const jwks = () => ({ keys: [idp.publicJwk] });
  test.each([
    ['no options', () => undefined, /`jwtBearer` needs \{ trustedIssuers/],
    ['trustedIssuers not an array', () => ({ trustedIssuers: {} }), /`jwtBearer.trustedIssuers` must be an array/],
    ['an issuer without keys', () => ({ trustedIssuers: [{ issuer: IDP }] }), /`jwtBearer.trustedIssuers.0` needs exactly one of jwks and jwks_uri/],
    ['an issuer with both', () => ({ trustedIssuers: [{ issuer: IDP, jwks: jwks(), jwks_uri: 'https://idp.example/jwks' }] }), /needs exactly one of jwks and jwks_uri/],
    ['a private key', () => ({ trustedIssuers: [{ issuer: IDP, jwks: { keys: [idp.privateJwk] } }] }), /`jwtBearer.trustedIssuers.0.jwks` must hold public keys only/],
    ['an issuer listed twice', () => ({ trustedIssuers: [{ issuer: IDP, jwks: jwks() }, { issuer: IDP, jwks: jwks() }] }), /lists "https:\/\/idp.example" twice/],
    ['an http jwks_uri', () => ({ trustedIssuers: [{ issuer: IDP, jwks_uri: 'http://idp.example/jwks' }] }), /`jwtBearer.trustedIssuers.0.jwks_uri` must be an absolute https URL/],
    ['an unknown option', () => ({ trustedIssuers: [], audience: 'x' }), /`jwtBearer.audience` is not an option/],
    ['a mapSubject that is not a function', () => ({ trustedIssuers: [], mapSubject: 'sub' }), /`jwtBearer.mapSubject` must be a function/],
  ])('%s', (_name, options, message) => {
    expect(() => jwtBearer(options() as unknown as JwtBearerOptions)).toThrow(message);
  });
});
