import request from 'supertest';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import type { Express } from 'express';
import type { ClientMetadata } from '../../lib/clients/client';
import type { ClientAuthFailedEvent } from '../../lib/client-auth/authenticate';
import { authorizationCode } from '../../lib/grants/authorization-code';
import { clientCredentials } from '../../lib/grants/client-credentials';
import { deviceAuthorization, DEVICE_CODE_GRANT_TYPE } from '../../lib/grants/device-code';
import type { OAuthServerOptions } from '../../lib/options';
import { listenLocal, type LocalServer } from '../helpers/local-server';
import { STORE_KINDS, useStores, type StoreKind } from '../helpers/stores';
import { FLOW_ISSUER, ISSUER, SERVICE, basic, expectOAuthErrorBody, pkcePair, testApp } from '../helpers/test-app';
import { registered, registrationOptions } from '../helpers/registration';
import { dpopKey } from '../helpers/dpop';
import {
  assertionClaims,
  assertionForm,
  assertionSigner,
  hmacWithPublicKey,
  unsecuredJwt,
  type AssertionSigner,
} from '../helpers/assertions';

/** private_key_jwt (RFC 7523 §2.2, §3; RFC 7521 §4.2) at every endpoint that authenticates clients. */
const NOW = 1_800_000_000;
const TOKEN_URL = `${ISSUER}/token`;
const stores = useStores();

let signer: AssertionSigner;
let other: AssertionSigner;
beforeAll(async () => {
  signer = await assertionSigner('ES256', 'key-1');
  // Another key pair under the same kid: a forger's.
  other = await assertionSigner('ES256', 'key-1');
});

const keyedClient = (jwks: ClientMetadata['jwks'] = { keys: [signer.publicJwk] }): ClientMetadata => ({
  client_id: 'keyed',
  token_endpoint_auth_method: 'private_key_jwt',
  jwks,
  grant_types: ['client_credentials', 'authorization_code', DEVICE_CODE_GRANT_TYPE],
  redirect_uris: ['https://keyed.example/cb'],
  scope: 'read write',
});

function keyedApp(kind: StoreKind, options: Partial<OAuthServerOptions> = {}): Express {
  return testApp({
    store: (clock) => stores(kind, clock),
    now: NOW,
    clients: [SERVICE, keyedClient()],
    grants: [clientCredentials(), authorizationCode(), deviceAuthorization({ verificationUri: 'https://auth.example.test/device' })],
    authorization: { getUser: () => undefined, login: (_req, res) => void res.status(401).end() },
    ...options,
  }).app;
}

const good = (overrides: Record<string, unknown> = {}, by: AssertionSigner = signer) => by.sign(assertionClaims('keyed', ISSUER, NOW, overrides));
const tokenRequest = (app: Express, assertion: string, extra: Record<string, string> = {}) =>
  request(app).post('/oauth/token').type('form').send(assertionForm(assertion, { grant_type: 'client_credentials', scope: 'read', ...extra }));

describe.each(STORE_KINDS)('private_key_jwt (%s store)', (kind) => {
  test('a good assertion authenticates at the token, introspection, revocation, PAR and device authorization endpoints; client_id may be left out', async () => {
    const app = keyedApp(kind);
    const issued = await tokenRequest(app, await good());
    expect(issued.status).toBe(200);
    const token = issued.body.access_token as string;

    const introspected = await request(app).post('/oauth/introspect').type('form').send(assertionForm(await good(), { token }));
    expect(introspected.status).toBe(200);
    expect(introspected.body).toMatchObject({ active: true, client_id: 'keyed', scope: 'read' });

    const pushed = await request(app)
      .post('/oauth/par')
      .type('form')
      .send(assertionForm(await good(), { client_id: 'keyed', response_type: 'code', redirect_uri: 'https://keyed.example/cb', scope: 'read', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    expect(pushed.status).toBe(201);
    expect(pushed.body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);

    const device = await request(app).post('/oauth/device_authorization').type('form').send(assertionForm(await good(), { scope: 'read' }));
    expect(device.status).toBe(200);
    expect(device.body.device_code).toEqual(expect.any(String));

    expect((await request(app).post('/oauth/revoke').type('form').send(assertionForm(await good(), { token }))).status).toBe(200);
    const after = await request(app).post('/oauth/introspect').type('form').send(assertionForm(await good(), { token }));
    expect(after.body).toEqual({ active: false });
  });

  test('the token endpoint URL is accepted as aud too (RFC 7523 §3 item 3), and client_id may name the same client', async () => {
    const app = keyedApp(kind);
    expect((await tokenRequest(app, await good({ aud: TOKEN_URL }))).status).toBe(200);
    expect((await tokenRequest(app, await good({ aud: [ISSUER] }), { client_id: 'keyed' })).status).toBe(200);
  });

  test('a jti is used once (RFC 7523 §3 item 7): the replay is 401 invalid_client, at any endpoint', async () => {
    const app = keyedApp(kind);
    const assertion = await good();
    expect((await tokenRequest(app, assertion)).status).toBe(200);
    const replay = await tokenRequest(app, assertion);
    expect(replay.status).toBe(401);
    expectOAuthErrorBody(replay.body, 'invalid_client');
    expect((await request(app).post('/oauth/introspect').type('form').send(assertionForm(assertion, { token: 'x' }))).status).toBe(401);
  });

  test('a jti of 256 characters is accepted: the bound on the id of a replay record is 256', async () => {
    expect((await tokenRequest(keyedApp(kind), await good({ jti: 'x'.repeat(256) }))).status).toBe(200);
  });

  const refused: [string, () => Promise<string>][] = [
    ['for another audience', () => good({ aud: 'https://elsewhere.example/oauth' })],
    ['with the PAR endpoint URL as audience', () => good({ aud: `${ISSUER}/par` })],
    ['with two audiences (draft-ietf-oauth-rfc7523bis: one)', () => good({ aud: [ISSUER, 'https://elsewhere.example'] })],
    ['expired', () => good({ iat: NOW - 200, exp: NOW - 100 })],
    ['too long-lived (exp - iat over 5 minutes)', () => good({ exp: NOW + 301 })],
    ['too long-lived without iat (exp over 5 minutes away)', () => good({ iat: undefined, exp: NOW + 301 })],
    ['issued in the future', () => good({ iat: NOW + 120, exp: NOW + 180 })],
    ['not yet valid (nbf)', () => good({ nbf: NOW + 120 })],
    ['without exp', () => good({ exp: undefined })],
    ['without jti', () => good({ jti: undefined })],
    ['with an empty jti', () => good({ jti: '' })],
    ['with a jti over 256 characters', () => good({ jti: 'x'.repeat(257) })],
    ['whose iss is not the client (iss ≠ sub)', () => good({ iss: 'svc' })],
    ['signed by another key under the same kid', () => good({}, other)],
    ['with alg none', async () => unsecuredJwt(assertionClaims('keyed', ISSUER, NOW))],
    ['with HS256 and the public key as the secret', () => hmacWithPublicKey(signer, assertionClaims('keyed', ISSUER, NOW))],
    ['that is not a JWT', async () => 'not.a.jwt'],
  ];
  test.each(refused)('an assertion %s is 401 invalid_client', async (_name, make) => {
    const app = keyedApp(kind);
    const res = await tokenRequest(app, await make());
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
  });

  test('an algorithm outside the allow-list is refused even with the client key: RS384 with an RSA key registered without alg', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const rsa = { ...(await exportJWK(publicKey)), kid: 'rsa' };
    delete rsa.alg;
    const app = keyedApp(kind, { clients: [keyedClient({ keys: [rsa] })] });
    const privateJwk = await exportJWK(privateKey);
    // One RSA key, imported for each algorithm (WebCrypto binds a key to one hash).
    const signed = async (alg: 'RS384' | 'RS256') =>
      new SignJWT(assertionClaims('keyed', ISSUER, NOW)).setProtectedHeader({ alg, kid: 'rsa' }).sign(await importJWK({ ...privateJwk, alg }, alg));
    expect((await tokenRequest(app, await signed('RS256'))).status).toBe(200);
    const res = await tokenRequest(app, await signed('RS384'));
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
  });

  test('client_id naming another client than the assertion is 401 invalid_client; a secret beside an assertion is 400 invalid_request', async () => {
    const app = keyedApp(kind);
    expectOAuthErrorBody((await tokenRequest(app, await good(), { client_id: 'svc' })).body, 'invalid_client');
    const both = await tokenRequest(app, await good(), { client_id: 'keyed', client_secret: 'x' });
    expect(both.status).toBe(400);
    expectOAuthErrorBody(both.body, 'invalid_request');
    const withBasic = await request(app).post('/oauth/token').set('Authorization', basic('svc', 'svc-secret')).type('form').send(assertionForm(await good(), { grant_type: 'client_credentials' }));
    expect(withBasic.status).toBe(400);
  });

  test('another client_assertion_type, and a secret client presenting an assertion, are refused', async () => {
    const app = keyedApp(kind);
    const res = await tokenRequest(app, await good(), { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' });
    expect(res.status).toBe(401);
    // svc registered client_secret_basic (RFC 7591 §2): an assertion, even well-signed, is the wrong method.
    const svcAssertion = await signer.sign(assertionClaims('svc', ISSUER, NOW));
    expect((await tokenRequest(app, svcAssertion)).status).toBe(401);
  });

  test('forged assertions cannot lock the client out: a signature cannot be guessed, so the brute-force limits count none of them', async () => {
    const events: ClientAuthFailedEvent[] = [];
    const app = keyedApp(kind, { bruteForce: { perPair: { points: 3, durationSeconds: 600, blockSeconds: 600 } }, onClientAuthFailed: (event) => events.push(event) });
    for (let i = 0; i < 5; i++) expect((await tokenRequest(app, await good({}, other))).status).toBe(401);
    const after = await tokenRequest(app, await good());
    expect(after.status).toBe(200);
    expect(events.map((event) => event.reason)).toEqual(Array(5).fill('invalid_assertion'));
    expect(events[0]).toEqual({ clientId: 'keyed', method: 'private_key_jwt', reason: 'invalid_assertion' });
  });

  test("a DPoP proof refused for its nonce (RFC 9449 §8) leaves the assertion unused: the retry with the nonce gets the token", async () => {
    const app = keyedApp(kind, { dpop: { requireNonce: true } });
    const key = await dpopKey();
    const assertion = await good();
    const send = (proof: string) => tokenRequest(app, assertion).set('DPoP', proof);
    const first = await send(await key.proof('POST', `${ISSUER}/token`, { iat: NOW }));
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    const retry = await send(await key.proof('POST', `${ISSUER}/token`, { iat: NOW, claims: { nonce: first.headers['dpop-nonce'] } }));
    expect(retry.status).toBe(200);
    expect(retry.body.token_type).toBe('DPoP');
  });

  test('the same at the pushed authorization endpoint (RFC 9126 §2.1): the proof is checked before the client', async () => {
    const app = keyedApp(kind, { dpop: { requireNonce: true } });
    const key = await dpopKey();
    const assertion = await good();
    const { challenge } = pkcePair();
    const form = { response_type: 'code', redirect_uri: 'https://keyed.example/cb', scope: 'read', code_challenge: challenge, code_challenge_method: 'S256' };
    const send = (proof: string) => request(app).post('/oauth/par').type('form').send(assertionForm(assertion, form)).set('DPoP', proof);
    const first = await send(await key.proof('POST', `${ISSUER}/par`, { iat: NOW }));
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    const retry = await send(await key.proof('POST', `${ISSUER}/par`, { iat: NOW, claims: { nonce: first.headers['dpop-nonce'] } }));
    expect(retry.status).toBe(201);
    expect(retry.body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  });

  test('a replay is refused and reported as replayed_assertion', async () => {
    const events: ClientAuthFailedEvent[] = [];
    const app = keyedApp(kind, { onClientAuthFailed: (event) => events.push(event) });
    const assertion = await good();
    await tokenRequest(app, assertion);
    await tokenRequest(app, assertion);
    expect(events).toEqual([{ clientId: 'keyed', method: 'private_key_jwt', reason: 'replayed_assertion' }]);
  });
});

describe.each(STORE_KINDS)('a client that registers itself with private_key_jwt (RFC 7591 §2, %s store)', (kind) => {
  test('registers its public jwks, gets no secret, and authenticates with an assertion', async () => {
    const { app } = testApp(registrationOptions((clock) => stores(kind, clock), { perAddress: false }));
    const client = await registered(app, { token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], scope: 'read', jwks: { keys: [signer.publicJwk] } });
    expect(client).not.toHaveProperty('client_secret');
    expect(client.jwks).toEqual({ keys: [signer.publicJwk] });
    const assertion = await signer.sign(assertionClaims(client.client_id, FLOW_ISSUER, 1_800_000_000));
    const res = await request(app).post('/oauth/token').type('form').send(assertionForm(assertion, { grant_type: 'client_credentials' }));
    expect(res.status).toBe(200);
    expect((await request(app).post('/oauth/token').type('form').send(assertionForm(await other.sign(assertionClaims(client.client_id, FLOW_ISSUER, 1_800_000_000)), { grant_type: 'client_credentials' }))).status).toBe(401);
  });
});

describe('keys from jwks_uri (fetched through the guarded fetch)', () => {
  let keys: LocalServer;
  let served: { keys: unknown[] };
  let fetches = 0;
  /** The key server's answer status: 200, or an outage. */
  let keysStatus = 200;
  let second: AssertionSigner;
  beforeAll(async () => {
    second = await assertionSigner('PS256', 'key-2');
    keys = await listenLocal((_req, res) => {
      fetches++;
      res.statusCode = keysStatus;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(served));
    });
  });
  afterAll(() => keys.close());
  beforeEach(() => {
    fetches = 0;
    keysStatus = 200;
    served = { keys: [signer.publicJwk] };
  });

  const uriApp = (jwksUri: string, allowHttpLoopback = true, onClientAuthFailed?: (event: ClientAuthFailedEvent) => void) =>
    testApp({
      now: NOW,
      clients: [{ client_id: 'keyed', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri, grant_types: ['client_credentials'], scope: 'read' }],
      clientFetch: { allowHttpLoopback, keysCooldownSeconds: 1 },
      ...(onClientAuthFailed !== undefined && { onClientAuthFailed }),
    }).app;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('the set is fetched once and cached; an unknown kid fetches it again once per cooldown, then is refused; a flood of unknown kids costs no more fetches', async () => {
    const app = uriApp(`${keys.origin}/jwks`);
    expect((await tokenRequest(app, await good())).status).toBe(200);
    expect((await tokenRequest(app, await good())).status).toBe(200);
    expect(fetches).toBe(1);

    // A rotated-in key: after the cooldown, its kid makes one new fetch, which finds it.
    served = { keys: [signer.publicJwk, second.publicJwk] };
    await sleep(1100);
    expect((await tokenRequest(app, await good({}, second))).status).toBe(200);
    expect(fetches).toBe(2);

    // Unknown kids within the cooldown: refused, nothing fetched.
    const unknown = await Promise.all(Array.from({ length: 10 }, async () => tokenRequest(app, await signer.sign(assertionClaims('keyed', ISSUER, NOW), { kid: 'nope' }))));
    expect(unknown.map((res) => res.status)).toEqual(Array(10).fill(401));
    expect(fetches).toBe(2);
    // After the cooldown: fetched once more, still unknown, refused.
    await sleep(1100);
    expect((await tokenRequest(app, await signer.sign(assertionClaims('keyed', ISSUER, NOW), { kid: 'nope' }))).status).toBe(401);
    expect(fetches).toBe(3);
  });

  test('a jwks_uri whose server is down (503 or no answer) is 503 temporarily_unavailable, not invalid_client: the client retries, and gets tokens when its keys are back', async () => {
    const events: ClientAuthFailedEvent[] = [];
    keysStatus = 503;
    const app = uriApp(`${keys.origin}/jwks`, true, (event) => events.push(event));
    const down = await tokenRequest(app, await good());
    expect(down.status).toBe(503);
    expectOAuthErrorBody(down.body, 'temporarily_unavailable');
    expect(fetches).toBe(1);
    // Within the cooldown nothing is fetched again, however many ask at once, and the answer stays 503.
    const retries = await Promise.all(Array.from({ length: 10 }, async () => tokenRequest(app, await good())));
    expect(retries.map((res) => res.status)).toEqual(Array(10).fill(503));
    expect(fetches).toBe(1);
    // No address answers at all.
    const closed = await tokenRequest(uriApp('http://127.0.0.1:1/jwks', true), await good());
    expect(closed.status).toBe(503);
    expectOAuthErrorBody(closed.body, 'temporarily_unavailable');
    // Back: after the cooldown, one fetch, and tokens again.
    keysStatus = 200;
    await sleep(1100);
    expect((await tokenRequest(app, await good())).status).toBe(200);
    expect(fetches).toBe(2);
    // The server was down: no client authentication failed.
    expect(events).toEqual([]);
  });

  test('a jwks_uri answering 404 or not a key set is the client\'s own problem: 401 invalid_client, reported as keys_unavailable', async () => {
    const events: ClientAuthFailedEvent[] = [];
    keysStatus = 404;
    const app = uriApp(`${keys.origin}/jwks`, true, (event) => events.push(event));
    const res = await tokenRequest(app, await good());
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
    keysStatus = 200;
    served = { keys: 'none' } as unknown as { keys: unknown[] };
    const invalid = uriApp(`${keys.origin}/jwks`, true, (event) => events.push(event));
    expect((await tokenRequest(invalid, await good())).status).toBe(401);
    expect(events.map((event) => event.reason)).toEqual(['keys_unavailable', 'keys_unavailable']);
  });

  test('a jwks_uri on a private or loopback address is never fetched: 401 invalid_client, reported as keys_unavailable', async () => {
    const events: ClientAuthFailedEvent[] = [];
    const privateApp = uriApp('https://10.1.2.3/jwks', false, (event) => events.push(event));
    const res = await tokenRequest(privateApp, await good());
    expect(res.status).toBe(401);
    expectOAuthErrorBody(res.body, 'invalid_client');
    // Without the development option, the loopback server is not reached either.
    const loopbackApp = uriApp(`${keys.origin}/jwks`, false, (event) => events.push(event));
    expect((await tokenRequest(loopbackApp, await good())).status).toBe(401);
    expect(fetches).toBe(0);
    expect(events.map((event) => event.reason)).toEqual(['keys_unavailable', 'keys_unavailable']);
  });
});
