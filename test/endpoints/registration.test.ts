import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { registerClient } from '@modelcontextprotocol/sdk/client/auth.js';
import type { AuthorizationServerMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { InvalidClientMetadataError, InvalidRedirectUriError } from '../../lib/errors';
import { hashInitialAccessToken } from '../../lib/registration/initial-access-token';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { memoryStore } from '../../lib/stores/memory/store';
import type { Store } from '../../lib/stores/store';
import { oauthServer } from '../../lib/server';
import { NATIVE_METADATA, register, registered, registrationOptions, SERVICE_METADATA } from '../helpers/registration';
import { STORE_KINDS, useStores } from '../helpers/stores';
import {
  authorize,
  expectOAuthErrorBody,
  FLOW_ISSUER,
  pkcePair,
  testApp,
  tokenRequest,
  type TestApp,
} from '../helpers/test-app';

const makeStore = useStores();
/** `count` EC public keys (their points are never used: registration checks only the set's shape), with `extra` members. */
const ecKeys = (count: number, extra: Record<string, string> = {}) => Array.from({ length: count }, (_, index) => ({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: `k${index}`, ...extra }));

describe.each(STORE_KINDS)('dynamic client registration (RFC 7591), %s store', (kind) => {
  const started: TestApp[] = [];
  const start = (...args: Parameters<typeof registrationOptions> extends [unknown, ...infer Rest] ? Rest : never) => {
    const subject = testApp(registrationOptions((clock) => makeStore(kind, clock), ...args));
    started.push(subject);
    return subject;
  };
  afterAll(() => Promise.all(started.map(({ oauth }) => oauth.close())));

  describe('registering and using a client', () => {
    let subject: TestApp;
    beforeAll(() => {
      subject = start({ perAddress: false });
    });

    test('a confidential client gets 201 with its metadata, ids and credentials (RFC 7591 §3.2.1), never cached', async () => {
      const res = await register(subject.app, SERVICE_METADATA);
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        client_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        client_id_issued_at: 1_800_000_000,
        client_name: 'Reporting',
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        application_type: 'web',
        scope: 'read',
        client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        client_secret_expires_at: 0,
        registration_access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        registration_client_uri: `${FLOW_ISSUER}/register/${res.body.client_id}`,
      });
    });

    test('every registration gets its own client id, secret and registration access token', async () => {
      const [a, b] = await Promise.all([registered(subject.app, SERVICE_METADATA), registered(subject.app, SERVICE_METADATA)]);
      expect(a.client_id).not.toBe(b.client_id);
      expect(a.client_secret).not.toBe(b.client_secret);
      expect(a.registration_access_token).not.toBe(b.registration_access_token);
    });

    test('the registered client gets tokens by client credentials, and they open the API', async () => {
      const client = await registered(subject.app, SERVICE_METADATA);
      const res = await tokenRequest(subject.app, { grant_type: 'client_credentials' }, [client.client_id, client.client_secret as string]);
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('read');
      const api = await request(subject.app).get('/api/read').set('Authorization', `Bearer ${res.body.access_token}`);
      expect(api.status).toBe(200);
      expect(api.body).toMatchObject({ clientId: client.client_id, scope: ['read'] });
      // The wrong secret is refused as for any client.
      expect((await tokenRequest(subject.app, { grant_type: 'client_credentials' }, [client.client_id, 'wrong'])).status).toBe(401);
    });

    test('a public client with a loopback redirect URI does the code flow with PKCE, on another port (RFC 8252 §7.3)', async () => {
      const client = await registered(subject.app, NATIVE_METADATA);
      expect(client).not.toHaveProperty('client_secret');
      expect(client).not.toHaveProperty('client_secret_expires_at');
      expect(client.response_types).toEqual(['code']);
      const { verifier, challenge } = pkcePair();
      const redirectUri = 'http://127.0.0.1:61234/callback';
      const query = { response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, scope: 'read', state: 's', code_challenge: challenge, code_challenge_method: 'S256' };
      const code = await authorize(subject.app, query);
      const res = await tokenRequest(subject.app, { grant_type: 'authorization_code', client_id: client.client_id, code, redirect_uri: redirectUri, code_verifier: verifier });
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toEqual(expect.any(String));
      const api = await request(subject.app).get('/api/read').set('Authorization', `Bearer ${res.body.access_token}`);
      expect(api.body).toMatchObject({ clientId: client.client_id, sub: 'alice' });
    });

    test('a client registered with require_pushed_authorization_requests (RFC 9126 §6) cannot start /authorize without a pushed request', async () => {
      const client = await registered(subject.app, { ...NATIVE_METADATA, require_pushed_authorization_requests: true });
      expect(client.require_pushed_authorization_requests).toBe(true);
      const { challenge } = pkcePair();
      const res = await request(subject.app)
        .get('/oauth/authorize')
        .query({ response_type: 'code', client_id: client.client_id, redirect_uri: 'http://127.0.0.1:5555/callback', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })
        .set('x-user', 'alice');
      expect(res.status).toBe(302);
      expect(new URL(res.headers.location).searchParams.get('error')).toBe('invalid_request');
    });

    test('a redirect URI the client did not register is refused at the authorization endpoint', async () => {
      const client = await registered(subject.app, NATIVE_METADATA);
      const { challenge } = pkcePair();
      const res = await request(subject.app)
        .get('/oauth/authorize')
        .query({ response_type: 'code', client_id: client.client_id, redirect_uri: 'http://127.0.0.1:61234/other', code_challenge: challenge, code_challenge_method: 'S256' })
        .set('x-user', 'alice');
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
    });

    test('fields the server does not understand are ignored (§2), this package\'s own client options too', async () => {
      const client = await registered(subject.app, { ...SERVICE_METADATA, introspect_any: true, access_token_lifetime: 999_999, client_name_x: 'x', 'client_name#fr': 'Rapports', software_statement: 'a.b.c' });
      for (const field of ['introspect_any', 'access_token_lifetime', 'client_name_x', 'client_name#fr', 'software_statement']) expect(client).not.toHaveProperty([field]);
      const res = await tokenRequest(subject.app, { grant_type: 'client_credentials' }, [client.client_id, client.client_secret as string]);
      expect(res.body.expires_in).toBe(3600);
    });

    test('the client cannot pick its own client_id or secret', async () => {
      const client = await registered(subject.app, { ...SERVICE_METADATA, client_id: 'web', client_secret: 'chosen' });
      expect(client.client_id).not.toBe('web');
      expect(client.client_secret).not.toBe('chosen');
      // The static client `web` is untouched.
      expect((await tokenRequest(subject.app, { grant_type: 'client_credentials' }, ['web', 'chosen'])).status).toBe(401);
    });

    test('the requested scope is narrowed to the scopes registered clients may have; none asked gets the default', async () => {
      expect((await registered(subject.app, { ...SERVICE_METADATA, scope: 'read admin' })).scope).toBe('read');
      expect(await registered(subject.app, { ...SERVICE_METADATA, scope: 'admin' })).not.toHaveProperty('scope');
      const { scope: _none, ...withoutScope } = SERVICE_METADATA;
      expect((await registered(subject.app, withoutScope)).scope).toBe('read write');
    });

    test.each([
      ['https', { redirect_uris: ['https://app.example/cb'] }],
      ['loopback http with a port and a query', { redirect_uris: ['http://localhost:8080/cb?x=1'] }],
      ['IPv6 loopback', { redirect_uris: ['http://[::1]/cb'] }],
      ['a private-use scheme for a native app (RFC 8252 §7.1)', { application_type: 'native', redirect_uris: ['com.example.app:/oauth2redirect'] }],
      ['claimed https for a native app (RFC 8252 §7.2)', { application_type: 'native', redirect_uris: ['https://app.example/native'] }],
      ['jwks alone', { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } }],
      ['jwks of 20 signing keys (use "sig", RFC 7517 §4.2)', { jwks: { keys: ecKeys(20, { use: 'sig' }) } }],
      ['jwks_uri alone', { jwks_uri: 'https://app.example/jwks.json' }],
      ['private_key_jwt with jwks (RFC 7523 §2.2)', { token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], redirect_uris: undefined, jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k', alg: 'ES256' }] } }],
      ['private_key_jwt with jwks_uri', { token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], redirect_uris: undefined, jwks_uri: 'https://app.example/jwks.json' }],
      ['explicit null values, taken as omitted', { client_uri: null, redirect_uris: ['https://app.example/cb'] }],
      ['client_secret_post', { token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], redirect_uris: undefined }],
      ['the informational fields', { client_uri: 'https://app.example', logo_uri: 'https://app.example/logo.png', tos_uri: 'https://app.example/tos', policy_uri: 'https://app.example/privacy', contacts: ['ops@app.example'], software_id: 'x', software_version: '1' }],
    ])('accepts %s', async (_name, fields) => {
      const body = { ...NATIVE_METADATA, application_type: 'web', ...fields };
      const res = await register(subject.app, JSON.parse(JSON.stringify(body)));
      expect(res.status).toBe(201);
      for (const [name, value] of Object.entries(fields)) if (value !== null && value !== undefined) expect(res.body[name]).toEqual(value);
    });
  });

  describe('every metadata rule, with its RFC 7591 §3.2.2 error', () => {
    let subject: TestApp;
    beforeAll(() => {
      subject = start({ perAddress: false });
    });
    const CODE_CLIENT = { grant_types: ['authorization_code'], redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' };

    test.each([
      ['a redirect URI that is not absolute', { redirect_uris: ['/cb'] }],
      ['a redirect URI with a fragment (RFC 6749 §3.1.2)', { redirect_uris: ['https://app.example/cb#x'] }],
      ['a redirect URI with an empty fragment', { redirect_uris: ['https://app.example/cb#'] }],
      ['http on a host that is not loopback', { redirect_uris: ['http://app.example/cb'] }],
      ['http on a name that only starts like loopback', { redirect_uris: ['http://127.0.0.1.evil.example/cb'] }],
      ['a javascript: URI', { redirect_uris: ['javascript:alert(1)'] }],
      ['a data: URI', { redirect_uris: ['data:text/html,hi'] }],
      ['a private-use scheme that is no reverse domain name', { application_type: 'native', redirect_uris: ['myapp:/cb'] }],
      ['a private-use scheme for a web application', { redirect_uris: ['com.example.app:/cb'] }],
      ['user information in a redirect URI', { redirect_uris: ['https://user:pw@app.example/cb'] }],
      ['redirect_uris that are not an array', { redirect_uris: 'https://app.example/cb' }],
      ['an empty redirect URI', { redirect_uris: [''] }],
      ['the code flow without redirect URIs', { redirect_uris: undefined }],
      ['the code flow with no redirect URI', { redirect_uris: [] }],
    ])('%s is invalid_redirect_uri', async (_name, fields) => {
      const res = await register(subject.app, { ...CODE_CLIENT, ...fields });
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_redirect_uri');
    });

    test.each([
      ['a body that is not an object', ['not', 'an', 'object']],
      ['a body that is a string', 'client'],
      ['a grant type the server does not let registered clients have', { ...CODE_CLIENT, grant_types: ['password'] }],
      ['an unknown grant type', { ...CODE_CLIENT, grant_types: ['implicit'] }],
      ['no grant type', { ...CODE_CLIENT, grant_types: [] }],
      ['grant_types that are not an array', { ...CODE_CLIENT, grant_types: 'authorization_code' }],
      ['a response type the server has not (token)', { ...CODE_CLIENT, response_types: ['token'] }],
      ['response type code without the authorization_code grant (RFC 7591 §2.1)', { grant_types: ['client_credentials'], response_types: ['code'] }],
      ['the authorization_code grant without response type code (RFC 7591 §2.1)', { ...CODE_CLIENT, response_types: [] }],
      ['private_key_jwt without jwks or jwks_uri', { ...CODE_CLIENT, token_endpoint_auth_method: 'private_key_jwt' }],
      ['a jwks holding a private key', { ...CODE_CLIENT, jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' }] } }],
      ['a jwks holding a symmetric key', { ...CODE_CLIENT, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }],
      ['a jwks key for HMAC', { ...CODE_CLIENT, jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', alg: 'HS256' }] } }],
      ['a jwks of more than 20 keys', { ...CODE_CLIENT, jwks: { keys: ecKeys(21) } }],
      ['a jwks key for encryption (use "enc", RFC 7517 §4.2)', { ...CODE_CLIENT, jwks: { keys: ecKeys(1, { use: 'enc' }) } }],
      ['client_secret_jwt (it would need the plaintext secret)', { ...CODE_CLIENT, token_endpoint_auth_method: 'client_secret_jwt' }],
      ['an unknown auth method', { ...CODE_CLIENT, token_endpoint_auth_method: 'tls_client_auth' }],
      ['client credentials for a public client (RFC 6749 §4.4)', { grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }],
      ['both jwks and jwks_uri', { ...CODE_CLIENT, jwks: { keys: [] }, jwks_uri: 'https://app.example/jwks' }],
      ['a jwks_uri that is not https', { ...CODE_CLIENT, jwks_uri: 'http://localhost/jwks' }],
      // It would be registered, then refused by every lookup of the client.
      ['a jwks_uri with a fragment', { token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], jwks_uri: 'https://keys.example/jwks#x' }],
      ['a jwks that is no JWK Set', { ...CODE_CLIENT, jwks: { keys: 'x' } }],
      ['an unknown application_type', { ...CODE_CLIENT, application_type: 'desktop' }],
      ['a malformed scope', { ...CODE_CLIENT, scope: 'read  write' }],
      ['a scope that is not a string', { ...CODE_CLIENT, scope: ['read'] }],
      ['a client_name that is not a string', { ...CODE_CLIENT, client_name: 7 }],
      ['a client_name too long', { ...CODE_CLIENT, client_name: 'x'.repeat(2001) }],
      ['a client_uri that is not https', { ...CODE_CLIENT, client_uri: 'ftp://app.example' }],
      ['a logo_uri that is javascript:', { ...CODE_CLIENT, logo_uri: 'javascript:alert(1)' }],
      ['contacts that are not an array of strings', { ...CODE_CLIENT, contacts: 'ops@app.example' }],
      ['require_pushed_authorization_requests that is not a boolean', { ...CODE_CLIENT, require_pushed_authorization_requests: 'yes' }],
    ])('%s is invalid_client_metadata', async (_name, body) => {
      const res = await register(subject.app, body);
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_client_metadata');
    });

    test.each([
      ['a form body', 'application/x-www-form-urlencoded', 'client_name=x', 400],
      ['no content type', undefined, '{}', 400],
      ['malformed JSON', 'application/json', '{"client_name":', 400],
      ['a body over the limit', 'application/json', JSON.stringify({ client_name: 'x'.repeat(20_000) }), 413],
    ])('%s is invalid_request', async (_name, type, body, status) => {
      const req = request(subject.app).post('/oauth/register');
      if (type !== undefined) req.set('Content-Type', type);
      const res = await req.send(body);
      expect(res.status).toBe(status);
      expectOAuthErrorBody(res.body, 'invalid_request');
    });

    test.each(['get', 'put', 'delete', 'patch'] as const)('%s /register is 405 with Allow: POST', async (method) => {
      const res = await request(subject.app)[method]('/oauth/register');
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
    });

    test('nothing is registered by a refused request', async () => {
      const res = await register(subject.app, { ...CODE_CLIENT, redirect_uris: ['http://app.example/cb'] });
      expect(res.body).not.toHaveProperty('client_id');
    });
  });

  describe('initial access tokens (RFC 7591 §3)', () => {
    const INITIAL = 'initial-access-token-of-the-partner';

    test.each([
      ['a list of hashes', { initialAccessTokens: [hashInitialAccessToken(INITIAL)] }],
      ['a function', { initialAccessTokens: (token: string) => token === INITIAL }],
    ])('with %s, a registration needs a token it accepts: none or a wrong one is 401 invalid_token', async (_name, registration) => {
      const { app } = start(registration);
      for (const token of [undefined, 'wrong-token', `${INITIAL}x`]) {
        const res = await register(app, SERVICE_METADATA, { token });
        expect(res.status).toBe(401);
        expectOAuthErrorBody(res.body, 'invalid_token');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
      }
      const malformed = await request(app).post('/oauth/register').set('Authorization', 'Bearer a b').send(SERVICE_METADATA);
      expect(malformed.status).toBe(401);
      expect((await register(app, SERVICE_METADATA, { token: INITIAL })).status).toBe(201);
    });

    test('the function is given the token and the request, and the policy the token', async () => {
      const seen: unknown[] = [];
      const { app } = start({
        initialAccessTokens: (token, req) => {
          seen.push([token, req.path]);
          return true;
        },
        policy: (metadata, context) => {
          seen.push([context.operation, context.initialAccessToken]);
          return metadata;
        },
      });
      await register(app, SERVICE_METADATA, { token: 'tok' });
      expect(seen).toEqual([['tok', '/register'], ['register', 'tok']]);
    });

    test('open registration needs no token', async () => {
      expect((await register(start().app, SERVICE_METADATA)).status).toBe(201);
    });
  });

  describe('the policy hook', () => {
    test('may change the metadata: what it returns is registered', async () => {
      const { app } = start({ policy: (metadata) => ({ ...metadata, client_name: `${metadata.client_name ?? ''} (unverified)`, scope: 'read' }) });
      const client = await registered(app, { ...SERVICE_METADATA, scope: 'read write' });
      expect(client).toMatchObject({ client_name: 'Reporting (unverified)', scope: 'read' });
    });

    test('may change it in place and return nothing', async () => {
      const { app } = start({
        policy: (metadata) => {
          metadata.contacts = ['owner@as.example'];
        },
      });
      expect((await registered(app, SERVICE_METADATA)).contacts).toEqual(['owner@as.example']);
    });

    test('may refuse: invalid_client_metadata with its description, nothing registered', async () => {
      const { app } = start({
        policy: (metadata) => {
          if (metadata.grant_types.includes('client_credentials')) throw new InvalidClientMetadataError('Services are registered by hand here.');
          return metadata;
        },
      });
      const res = await register(app, SERVICE_METADATA);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_client_metadata', error_description: 'Services are registered by hand here.' });
      expect((await register(app, NATIVE_METADATA)).status).toBe(201);
    });

    test.each([
      ['InvalidClientMetadataError', new InvalidClientMetadataError('Nom "refusé"\n'), 'invalid_client_metadata', 'Nom ?refus???'],
      ['InvalidRedirectUriError', new InvalidRedirectUriError('“no”'), 'invalid_redirect_uri', '?no?'],
      ['an empty description', new InvalidClientMetadataError(''), 'invalid_client_metadata', 'The client metadata was refused.'],
    ])('a refusal (%s) keeps to the characters RFC 6749 §5.2 allows in error_description', async (_name, refusal, error, description) => {
      const { app } = start({
        policy: () => {
          throw refusal;
        },
      });
      expect((await register(app, SERVICE_METADATA)).body).toEqual({ error, error_description: description });
    });

    test('metadata it returns is checked again: an invalid result is the host app\'s bug, a server_error given to onError', async () => {
      const errors: unknown[] = [];
      const { app } = start({ policy: (metadata) => ({ ...metadata, redirect_uris: ['http://evil.example/cb'] }) }, { onError: (error) => errors.push(error) });
      const res = await register(app, NATIVE_METADATA);
      expect(res.status).toBe(500);
      expectOAuthErrorBody(res.body, 'server_error');
      expect(String(errors[0])).toMatch(/registration\.policy returned metadata/);
    });
  });

  describe('limits', () => {
    test('per address: past `max` registrations in the window, 429 with Retry-After; other addresses are not held back', async () => {
      const subject = start({ perAddress: { max: 2, windowSeconds: 60 } });
      expect((await register(subject.app, SERVICE_METADATA, { from: '203.0.113.5' })).status).toBe(201);
      expect((await register(subject.app, SERVICE_METADATA, { from: '203.0.113.5' })).status).toBe(201);
      const refused = await register(subject.app, SERVICE_METADATA, { from: '203.0.113.5' });
      expect(refused.status).toBe(429);
      expectOAuthErrorBody(refused.body, 'temporarily_unavailable');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect((await register(subject.app, SERVICE_METADATA, { from: '203.0.113.6' })).status).toBe(201);
      // An IPv6 host holds its /64: one address.
      expect((await register(subject.app, SERVICE_METADATA, { from: '2001:db8::1' })).status).toBe(201);
      expect((await register(subject.app, SERVICE_METADATA, { from: '2001:db8::2' })).status).toBe(201);
      expect((await register(subject.app, SERVICE_METADATA, { from: '2001:db8::3' })).status).toBe(429);
      subject.advance(61);
      expect((await register(subject.app, SERVICE_METADATA, { from: '203.0.113.5' })).status).toBe(201);
    });

    test('refused requests do not count', async () => {
      const { app } = start({ perAddress: { max: 1, windowSeconds: 60 } });
      for (let i = 0; i < 3; i++) expect((await register(app, { grant_types: ['nope'] }, { from: '203.0.113.9' })).status).toBe(400);
      expect((await register(app, SERVICE_METADATA, { from: '203.0.113.9' })).status).toBe(201);
    });

    test('a registration refused because the server is full counts against no quota', async () => {
      const subject = start({ maxClients: 1, perAddress: { max: 2, windowSeconds: 60 } });
      const first = await register(subject.app, SERVICE_METADATA, { from: '203.0.113.7' });
      expect(first.status).toBe(201);
      for (let i = 0; i < 3; i++) expect((await register(subject.app, SERVICE_METADATA, { from: '203.0.113.7' })).status).toBe(503);
      const path = new URL(first.body.registration_client_uri).pathname;
      expect((await request(subject.app).delete(path).set('Authorization', `Bearer ${first.body.registration_access_token}`)).status).toBe(204);
      // One registration counted of two: the address may register once more.
      expect((await register(subject.app, SERVICE_METADATA, { from: '203.0.113.7' })).status).toBe(201);
    });

    test('past maxClients, registration is 503 temporarily_unavailable', async () => {
      const { app } = start({ maxClients: 2, perAddress: false });
      await registered(app, SERVICE_METADATA);
      await registered(app, SERVICE_METADATA);
      const res = await register(app, SERVICE_METADATA);
      expect(res.status).toBe(503);
      expectOAuthErrorBody(res.body, 'temporarily_unavailable');
    });
  });

  test('the metadata lists registration_endpoint (RFC 8414 §2) when registration is on, and only then', async () => {
    expect(start().oauth.metadata.registration_endpoint).toBe(`${FLOW_ISSUER}/register`);
    const off = testApp({ store: makeStore(kind) });
    started.push(off);
    expect(off.oauth.metadata).not.toHaveProperty('registration_endpoint');
    expect((await register(off.app, SERVICE_METADATA)).status).toBe(404);
  });
});

test('the MCP SDK registers a client as an MCP client does, and reads our answer', async () => {
  const subject = testApp(registrationOptions(memoryStore(), { perAddress: false }));
  const server = subject.app.listen(0, '127.0.0.1');
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The issuer's host is not this test's: requests go to the local server instead.
    const fetchFn = (url: string | URL, init?: RequestInit) => fetch(String(url).replace(new URL(FLOW_ISSUER).origin, local), init);
    const client = await registerClient(FLOW_ISSUER, {
      metadata: subject.oauth.metadata as unknown as AuthorizationServerMetadata,
      clientMetadata: { client_name: 'MCP client', redirect_uris: ['http://localhost:33418/callback'], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' },
      fetchFn,
    });
    expect(client).toMatchObject({ client_id: expect.any(String), redirect_uris: ['http://localhost:33418/callback'], token_endpoint_auth_method: 'none' });
  } finally {
    server.close();
    await subject.oauth.close();
  }
});

test('a body the host app already parsed with express.json() is read as it is', async () => {
  const subject = testApp({ ...registrationOptions(memoryStore(), { perAddress: false }), before: (app) => app.use(express.json()) });
  try {
    expect((await register(subject.app, SERVICE_METADATA)).body.client_name).toBe('Reporting');
  } finally {
    await subject.oauth.close();
  }
});

describe('registered clients beside the static ones', () => {
  test('a stored registration with a static client\'s id never shadows it', async () => {
    const store = memoryStore();
    const subject = testApp({ store, registration: { scopes: ['read'] } });
    try {
      await store.registeredClients?.createClient(
        { metadata: { client_id: 'svc', grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, registrationTokenHash: 'x' },
        { maxClients: 10, quotas: [], quotaForgetAt: 0 },
      );
      // The static svc still needs its secret.
      expect((await tokenRequest(subject.app, { grant_type: 'client_credentials', client_id: 'svc' })).status).toBe(401);
      expect((await tokenRequest(subject.app, { grant_type: 'client_credentials' }, ['svc', 'svc-secret'])).status).toBe(200);
    } finally {
      await subject.oauth.close();
    }
  });

  test('the client information is never the static client\'s: a lookup that knows every id leaves registration no id to give', async () => {
    const subject = testApp({
      clients: async (clientId) => ({ client_id: clientId, grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' as const }),
      registration: { scopes: ['read'] },
      onError: () => {},
    });
    try {
      const res = await register(subject.app, SERVICE_METADATA);
      expect(res.status).toBe(500);
      expect(res.body).not.toHaveProperty('client_id');
    } finally {
      await subject.oauth.close();
    }
  });
});

test('scopes_supported lists the scopes registered clients may have besides the static clients\' ones', async () => {
  const subject = testApp({ registration: { scopes: ['read', 'reports:export'] } });
  try {
    expect(subject.oauth.metadata.scopes_supported).toEqual(['read', 'reports:export', 'write']);
  } finally {
    await subject.oauth.close();
  }
});

describe('registration options', () => {
  const options = (registration: unknown, store?: Store) => () =>
    oauthServer({ issuer: FLOW_ISSUER, clients: [], grants: [clientCredentials()], ...(store !== undefined && { store }), registration: registration as never });

  test.each([
    [{ maxClient: 1 }, /option `registration.maxClient` is not an option: use initialAccessTokens/],
    [{ grantTypes: ['authorization_code'] }, /`registration.grantTypes` lists "authorization_code", not enabled in `grants`/],
    [{ scopes: ['a b'] }, /`registration.scopes` must be an array of scope tokens/],
    [{ scopes: ['read'], defaultScopes: ['write'] }, /`registration.defaultScopes` has write, not in `scopes`/],
    [{ initialAccessTokens: ['plain-token'] }, /`registration.initialAccessTokens` must be an array of hashInitialAccessToken/],
    [{ perAddress: { max: 0 } }, /`registration.perAddress.max` must be a positive whole number/],
    [{ policy: 'allow' }, /`registration.policy` must be a function/],
    ['open', /`registration` must be/],
  ])('%p is refused at start-up, naming the option', (registration, message) => {
    expect(options(registration)).toThrow(message);
  });

  test('a store without registered clients is refused at start-up', () => {
    const full = memoryStore();
    const { registeredClients: _none, ...store } = full;
    expect(options({}, store as Store)).toThrow(/`registration` needs a store that keeps registered clients/);
    return full.close();
  });

  test('the default grant types are those of `grants` a self-registered client may have: never the password grant', async () => {
    const subject = testApp({ registration: {} });
    try {
      expect((await register(subject.app, SERVICE_METADATA)).status).toBe(201);
      expect((await register(subject.app, NATIVE_METADATA)).body.error).toBe('invalid_client_metadata');
    } finally {
      await subject.oauth.close();
    }
  });
});
