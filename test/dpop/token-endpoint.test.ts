import request from 'supertest';
import { decodeJwt } from 'jose';
import type { Express } from 'express';
import type { ClientMetadata } from '../../lib/clients/client';
import type { OAuthServerOptions } from '../../lib/options';
import { jwtAccessTokens } from '../../lib/tokens/jwt-access-token';
import { tokenIssuer } from '../../lib/tokens/issuer';
import { normalizeClient } from '../../lib/clients/client';
import { memoryStore } from '../../lib/stores/memory/store';
import { STORE_KINDS, useStores, type StoreKind } from '../helpers/stores';
import { dpopKey, type DpopKey } from '../helpers/dpop';
import { keySet, privateKeyFor } from '../helpers/signing-keys';
import { register, registered, registrationOptions, SERVICE_METADATA } from '../helpers/registration';
import {
  FLOW_CLIENTS,
  FLOW_ISSUER,
  authorize,
  basic,
  expectOAuthErrorBody,
  flowOptions,
  responseParams,
  spaRequest,
  testApp,
  tokenRequest,
  type Query,
} from '../helpers/test-app';

const TOKEN_URL = `${FLOW_ISSUER}/token`;
/** A client registered with dpop_bound_access_tokens (RFC 9449 §5.2). */
const BOUND: ClientMetadata = { client_id: 'bound', client_secret: 'bound-secret', grant_types: ['client_credentials'], scope: 'read', dpop_bound_access_tokens: true };

const makeStore = useStores();

function dpopApp(kind: StoreKind, options: Partial<OAuthServerOptions> = {}): Express {
  return testApp({ ...flowOptions((clock) => makeStore(kind, clock), options), clients: [...FLOW_CLIENTS, BOUND], now: Math.floor(Date.now() / 1000) }).app;
}

/** A token request with the given DPoP header(s), the client authenticating with Basic when `credentials` are given. */
function withProof(app: Express, form: Record<string, string>, proofs: string[], credentials?: [string, string]) {
  const req = request(app).post('/oauth/token').type('form');
  if (credentials !== undefined) req.set('Authorization', basic(...credentials));
  // Two proofs go as two DPoP header lines.
  if (proofs.length > 0) req.set('DPoP', proofs.length === 1 ? proofs[0] : (proofs as unknown as string));
  return req.send(form);
}

const serviceForm = { grant_type: 'client_credentials' };
const SVC: [string, string] = ['svc', 'svc-secret'];

function introspect(app: Express, token: string) {
  return request(app).post('/oauth/introspect').auth('svc', 'svc-secret').type('form').send({ token });
}

describe.each(STORE_KINDS)('DPoP at the token endpoint on the %s store (RFC 9449 §5)', (kind) => {
  let app: Express;
  let key: DpopKey;
  beforeAll(async () => {
    key = await dpopKey();
  });
  beforeEach(() => {
    app = dpopApp(kind);
  });

  it('binds the token to the proof key: token_type DPoP, and introspection shows cnf.jkt (§6.2)', async () => {
    const res = await withProof(app, serviceForm, [await key.proof('POST', TOKEN_URL)], SVC);
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    const seen = await introspect(app, res.body.access_token);
    expect(seen.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  it('issues a Bearer token, with no cnf, to a request without a proof', async () => {
    const res = await tokenRequest(app, serviceForm, SVC);
    expect(res.body.token_type).toBe('Bearer');
    const seen = await introspect(app, res.body.access_token);
    expect(seen.body.token_type).toBe('Bearer');
    expect(seen.body).not.toHaveProperty('cnf');
  });

  it('refuses a replayed proof with invalid_dpop_proof (400)', async () => {
    const proof = await key.proof('POST', TOKEN_URL);
    expect((await withProof(app, serviceForm, [proof], SVC)).status).toBe(200);
    const replay = await withProof(app, serviceForm, [proof], SVC);
    expect(replay.status).toBe(400);
    expectOAuthErrorBody(replay.body, 'invalid_dpop_proof');
  });

  it('refuses a proof for another URL, for another method, and two proofs', async () => {
    const cases: [string[], RegExp][] = [
      [[await key.proof('POST', `${FLOW_ISSUER}/introspect`)], /htu/],
      [[await key.proof('GET', TOKEN_URL)], /htm/],
      [[await key.proof('POST', TOKEN_URL), await key.proof('POST', TOKEN_URL)], /exactly one/],
    ];
    for (const [proofs, description] of cases) {
      const res = await withProof(app, serviceForm, proofs, SVC);
      expect(res.status).toBe(400);
      expectOAuthErrorBody(res.body, 'invalid_dpop_proof');
      expect(res.body.error_description).toMatch(description);
    }
  });

  it('makes a client registered with dpop_bound_access_tokens send a proof (§5.2)', async () => {
    const without = await tokenRequest(app, serviceForm, ['bound', 'bound-secret']);
    expect(without.status).toBe(400);
    expectOAuthErrorBody(without.body, 'invalid_dpop_proof');
    const withKey = await withProof(app, serviceForm, [await key.proof('POST', TOKEN_URL)], ['bound', 'bound-secret']);
    expect(withKey.status).toBe(200);
    expect(withKey.body.token_type).toBe('DPoP');
  });

  describe("a public client's refresh token is bound to the key (§5)", () => {
    async function spaTokens(proofKey: DpopKey): Promise<{ access_token: string; refresh_token: string; token_type: string }> {
      const { query, verifier } = spaRequest();
      const code = await authorize(app, query);
      const form = { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: 'https://spa.example/cb', code_verifier: verifier };
      const res = await withProof(app, form, [await proofKey.proof('POST', TOKEN_URL)]);
      expect(res.status).toBe(200);
      return res.body;
    }
    const refresh = (refreshToken: string) => ({ grant_type: 'refresh_token', client_id: 'spa', refresh_token: refreshToken });

    it('is refused without a proof and with another key, and leaves the token usable by its key', async () => {
      const tokens = await spaTokens(key);
      expect(tokens.token_type).toBe('DPoP');
      const without = await tokenRequest(app, refresh(tokens.refresh_token));
      expect(without.status).toBe(400);
      expectOAuthErrorBody(without.body, 'invalid_dpop_proof');
      const other = await dpopKey();
      const withOther = await withProof(app, refresh(tokens.refresh_token), [await other.proof('POST', TOKEN_URL)]);
      expect(withOther.status).toBe(400);
      expectOAuthErrorBody(withOther.body, 'invalid_grant');
      // Neither attempt rotated the token: its key still refreshes, and the new refresh token is bound too.
      const good = await withProof(app, refresh(tokens.refresh_token), [await key.proof('POST', TOKEN_URL)]);
      expect(good.status).toBe(200);
      expect(good.body.token_type).toBe('DPoP');
      const next = await tokenRequest(app, refresh(good.body.refresh_token));
      expectOAuthErrorBody(next.body, 'invalid_dpop_proof');
    });

    it("leaves a confidential client's refresh token unbound: it is bound to the client's authentication", async () => {
      const { query, verifier } = spaRequest({ client_id: 'web', redirect_uri: 'https://web.example/other' });
      const code = await authorize(app, query);
      const form = { grant_type: 'authorization_code', code, redirect_uri: 'https://web.example/other', code_verifier: verifier };
      const issued = await withProof(app, form, [await key.proof('POST', TOKEN_URL)], ['web', 'web-secret']);
      expect(issued.body.token_type).toBe('DPoP');
      const refreshed = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token }, ['web', 'web-secret']);
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.token_type).toBe('Bearer');
    });
  });

  describe('dpop_jkt binds the authorization code (§10)', () => {
    async function boundCode(jkt: string): Promise<{ form: Record<string, string> }> {
      const { query, verifier } = spaRequest({ dpop_jkt: jkt });
      const code = await authorize(app, query);
      return { form: { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: 'https://spa.example/cb', code_verifier: verifier } };
    }

    it('gives the code only to a proof of that key', async () => {
      const { form } = await boundCode(key.jkt);
      const without = await tokenRequest(app, form);
      expectOAuthErrorBody(without.body, 'invalid_dpop_proof');
      const other = await dpopKey();
      const withOther = await withProof(app, form, [await other.proof('POST', TOKEN_URL)]);
      expectOAuthErrorBody(withOther.body, 'invalid_grant');
      const good = await withProof(app, form, [await key.proof('POST', TOKEN_URL)]);
      expect(good.status).toBe(200);
      expect(good.body.token_type).toBe('DPoP');
    });

    it('keeps dpop_jkt in a pushed request (RFC 9449 §10.1, RFC 9126)', async () => {
      const { query, verifier } = spaRequest({ dpop_jkt: key.jkt });
      const pushed = await request(app).post('/oauth/par').type('form').send(query);
      expect(pushed.status).toBe(201);
      const code = await authorize(app, { client_id: 'spa', request_uri: pushed.body.request_uri });
      const form = { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: 'https://spa.example/cb', code_verifier: verifier };
      expectOAuthErrorBody((await tokenRequest(app, form)).body, 'invalid_dpop_proof');
      const good = await withProof(app, form, [await key.proof('POST', TOKEN_URL)]);
      expect(good.body.token_type).toBe('DPoP');
    });

    it('binds the code to the key of a DPoP proof sent to the PAR endpoint, and refuses a dpop_jkt of another key beside it (RFC 9449 §10.1)', async () => {
      const parUrl = `${FLOW_ISSUER}/par`;
      const { query, verifier } = spaRequest();
      const pushed = await request(app).post('/oauth/par').type('form').set('DPoP', await key.proof('POST', parUrl)).send(query);
      expect(pushed.status).toBe(201);
      const code = await authorize(app, { client_id: 'spa', request_uri: pushed.body.request_uri });
      const form = { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: 'https://spa.example/cb', code_verifier: verifier };
      const other = await dpopKey();
      expectOAuthErrorBody((await withProof(app, form, [await other.proof('POST', TOKEN_URL)])).body, 'invalid_grant');
      expect((await withProof(app, form, [await key.proof('POST', TOKEN_URL)])).body.token_type).toBe('DPoP');

      const mismatch = await request(app).post('/oauth/par').type('form').set('DPoP', await key.proof('POST', parUrl)).send(spaRequest({ dpop_jkt: other.jkt }).query);
      expect(mismatch.status).toBe(400);
      expectOAuthErrorBody(mismatch.body, 'invalid_dpop_proof');
      const forTokenEndpoint = await request(app).post('/oauth/par').type('form').set('DPoP', await key.proof('POST', TOKEN_URL)).send(spaRequest().query);
      expectOAuthErrorBody(forTokenEndpoint.body, 'invalid_dpop_proof');
    });

    it('refuses a dpop_jkt that is not a thumbprint, at the redirect URI', async () => {
      const { query } = spaRequest({ dpop_jkt: 'not-a-thumbprint' });
      const res = await request(app).get('/oauth/authorize').query(query as Query).set('x-user', 'alice');
      expect(res.status).toBe(302);
      expect(responseParams(res.headers.location).get('error')).toBe('invalid_request');
    });
  });

  it('announces dpop_signing_alg_values_supported in the metadata (RFC 8414, RFC 9449 §5.1)', async () => {
    const res = await request(app).get('/oauth/.well-known/oauth-authorization-server');
    expect(res.body.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA', 'PS256', 'RS256']));
    expect(res.body.dpop_signing_alg_values_supported).not.toContain('HS256');
  });

  it('with dpop: false, announces nothing and issues Bearer tokens whatever the request sends', async () => {
    const off = dpopApp(kind, { dpop: false });
    const metadata = await request(off).get('/oauth/.well-known/oauth-authorization-server');
    expect(metadata.body).not.toHaveProperty('dpop_signing_alg_values_supported');
    const res = await withProof(off, serviceForm, [await key.proof('POST', TOKEN_URL)], SVC);
    expect(res.body.token_type).toBe('Bearer');
  });

  describe('with server nonces (§8)', () => {
    beforeEach(() => {
      app = dpopApp(kind, { dpop: { requireNonce: true, nonceSecret: 'a-secret-the-instances-share-0123456789' } });
    });

    it('answers use_dpop_nonce with a DPoP-Nonce header, then accepts the proof with it and hands out a fresh nonce', async () => {
      const first = await withProof(app, serviceForm, [await key.proof('POST', TOKEN_URL)], SVC);
      expect(first.status).toBe(400);
      expectOAuthErrorBody(first.body, 'use_dpop_nonce');
      const nonce = first.headers['dpop-nonce'];
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const retry = await withProof(app, serviceForm, [await key.proof('POST', TOKEN_URL, { claims: { nonce } })], SVC);
      expect(retry.status).toBe(200);
      expect(retry.body.token_type).toBe('DPoP');
      expect(retry.headers['dpop-nonce']).toBe(nonce);
    });

    it('is shared by instances with the same secret: a nonce from one is good at the other', async () => {
      const other = dpopApp(kind, { dpop: { requireNonce: true, nonceSecret: 'a-secret-the-instances-share-0123456789' } });
      const nonce = (await withProof(app, serviceForm, [await key.proof('POST', TOKEN_URL)], SVC)).headers['dpop-nonce'];
      const res = await withProof(other, serviceForm, [await key.proof('POST', TOKEN_URL, { claims: { nonce } })], SVC);
      expect(res.status).toBe(200);
    });

    it('does not ask clients that send no proof', async () => {
      const res = await tokenRequest(app, serviceForm, SVC);
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('Bearer');
    });
  });
});

describe('a DPoP-bound JWT access token (RFC 9449 §6.1)', () => {
  it('carries cnf.jkt, and the response says DPoP', async () => {
    const key = await dpopKey();
    const jwt = jwtAccessTokens(FLOW_ISSUER, keySet({ keys: [(await privateKeyFor('ES256')).jwk] }));
    const store = memoryStore();
    const issuer = tokenIssuer({ store, clock: () => Math.floor(Date.now() / 1000), accessTokenLifetime: 300, tokenPrefix: '', jwt }, 'client_credentials', () => {});
    const client = normalizeClient({ client_id: 'svc', client_secret: 'x', grant_types: ['client_credentials'], scope: 'read' }, { hashPlaintextSecret: true });
    const resource = { uri: 'https://api.example/', scopes: ['read'], accessTokenFormat: 'jwt' as const };
    const bound = await issuer.issue({ client, scope: ['read'], resource, dpopJkt: key.jkt });
    expect(bound.token_type).toBe('DPoP');
    expect(decodeJwt(bound.access_token).cnf).toEqual({ jkt: key.jkt });
    const bearer = await issuer.issue({ client, scope: ['read'], resource });
    expect(bearer.token_type).toBe('Bearer');
    expect(decodeJwt(bearer.access_token)).not.toHaveProperty('cnf');
    await store.close();
  });
});

test('client metadata: dpop_bound_access_tokens must be true or false', () => {
  expect(() => normalizeClient({ ...BOUND, dpop_bound_access_tokens: 'yes' as unknown as boolean }, { hashPlaintextSecret: true })).toThrow(
    /client "bound": `dpop_bound_access_tokens` must be true or false/,
  );
});

test('with a store that keeps no replay records (no rememberOnce), the server keeps them itself: a replay is still refused', async () => {
  const store = { ...memoryStore(), rememberOnce: undefined };
  const { app, oauth } = testApp({ ...flowOptions(store), clients: [...FLOW_CLIENTS, BOUND], now: Math.floor(Date.now() / 1000) });
  const proof = await (await dpopKey()).proof('POST', TOKEN_URL);
  expect((await withProof(app, serviceForm, [proof], SVC)).status).toBe(200);
  expectOAuthErrorBody((await withProof(app, serviceForm, [proof], SVC)).body, 'invalid_dpop_proof');
  await oauth.close();
});

describe('a client that registers itself with dpop_bound_access_tokens (RFC 7591, RFC 9449 §5.2)', () => {
  it('keeps the field, must send a proof, and a non-boolean is invalid_client_metadata', async () => {
    const { app, oauth } = testApp(registrationOptions(memoryStore()));
    const client = await registered(app, { ...SERVICE_METADATA, dpop_bound_access_tokens: true });
    expect(client.dpop_bound_access_tokens).toBe(true);
    const credentials: [string, string] = [client.client_id, client.client_secret as string];
    expectOAuthErrorBody((await tokenRequest(app, serviceForm, credentials)).body, 'invalid_dpop_proof');
    // The test app's clock is fixed: the proof is made at its time.
    const proof = await (await dpopKey()).proof('POST', TOKEN_URL, { iat: 1_800_000_000 });
    expect((await withProof(app, serviceForm, [proof], credentials)).body.token_type).toBe('DPoP');
    const wrong = await register(app, { ...SERVICE_METADATA, dpop_bound_access_tokens: 'yes' });
    expectOAuthErrorBody(wrong.body, 'invalid_client_metadata');
    await oauth.close();
  });
});
