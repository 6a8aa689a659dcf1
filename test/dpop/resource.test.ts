import express, { type Express } from 'express';
import request from 'supertest';
import { decodeJwt } from 'jose';
import type { OAuthServerOptions } from '../../lib/options';
import { tokenGuard } from '../../lib/resource/token-guard';
import { dpopRequests } from '../../lib/dpop/dpop';
import { queryReader, rawFormReader } from '../../lib/http/form-params';
import { ACCESS_TOKEN_ALGORITHMS } from '../../lib/tokens/jwt-access-token';
import { STORE_KINDS, useStores, type StoreKind } from '../helpers/stores';
import { dpopKey, type DpopKey } from '../helpers/dpop';
import { FLOW_CLIENTS, FLOW_ISSUER, expectOAuthErrorBody, flowOptions, testApp } from '../helpers/test-app';

const ORIGIN = new URL(FLOW_ISSUER).origin;
const TOKEN_URL = `${FLOW_ISSUER}/token`;
const API = 'https://api.example/v1';
const MCP = 'https://as.example/mcp';
const ALGS = `algs="${ACCESS_TOKEN_ALGORITHMS.join(' ')}"`;
const NONCE_SECRET = 'a-secret-the-instances-share-0123456789';

const makeStore = useStores();

/** The flow app with `/api/read` (oauth.requireToken('read')) and `/v1/data` (the API resource, another origin). */
function resourceApp(kind: StoreKind, options: Partial<OAuthServerOptions> = {}): Express {
  const { app, oauth } = testApp({
    ...flowOptions((clock) => makeStore(kind, clock), { signingKeys: { keepPrivateKeysInStore: true }, ...options }),
    clients: FLOW_CLIENTS,
    resources: [
      { uri: API, scopes: ['read'], accessTokenFormat: 'opaque' },
      { uri: MCP, scopes: ['read'], accessTokenFormat: 'jwt' },
    ],
    now: Math.floor(Date.now() / 1000),
  });
  const api = oauth.resource(API);
  app.get(api.metadataPath, api.metadataHandler);
  app.get('/v1/data', api.requireToken('read'), (req, res) => void res.json(req.oauth));
  app.get('/mcp', oauth.resource(MCP).requireToken('read'), (req, res) => void res.json(req.oauth));
  return app;
}

/** A client credentials token of svc, bound to `key` when given (its proof made with `nonce`). */
async function issue(app: Express, key?: DpopKey, form: Record<string, string> = {}): Promise<string> {
  const req = request(app).post('/oauth/token').auth('svc', 'svc-secret').type('form');
  if (key !== undefined) req.set('DPoP', await key.proof('POST', TOKEN_URL));
  const res = await req.send({ grant_type: 'client_credentials', scope: 'read', ...form });
  expect(res.status).toBe(200);
  expect(res.body.token_type).toBe(key === undefined ? 'Bearer' : 'DPoP');
  return res.body.access_token;
}

function get(app: Express, path: string, authorization: string, proof?: string) {
  const req = request(app).get(path).set('Authorization', authorization);
  return proof === undefined ? req : req.set('DPoP', proof);
}

/** The answer of a refused request: its status, its challenge, and its body's error. */
function expectRefused(res: request.Response, status: number, challenge: RegExp, error: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['www-authenticate']).toMatch(challenge);
  expectOAuthErrorBody(res.body, error);
}

describe.each(STORE_KINDS)('DPoP at protected routes on the %s store (RFC 9449 §7)', (kind) => {
  let app: Express;
  let key: DpopKey;
  beforeAll(async () => {
    key = await dpopKey();
  });
  beforeEach(() => {
    app = resourceApp(kind);
  });
  const proofFor = (token: string, path = '/api/read', method = 'GET', proofKey = key) => proofKey.proof(method, `${ORIGIN}${path}`, { accessToken: token });

  it('opens the route to a DPoP token with a proof of its key, and the handler sees cnf.jkt', async () => {
    const token = await issue(app, key);
    const res = await get(app, '/api/read', `DPoP ${token}`, await proofFor(token));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ clientId: 'svc', scope: ['read'], cnf: { jkt: key.jkt } });
  });

  it('takes htu from the configured origin, so the Host a proxy sends changes nothing, and ignores the query', async () => {
    const token = await issue(app, key);
    const behindProxy = await get(app, '/api/read?x=1', `DPoP ${token}`, await proofFor(token)).set('Host', 'internal:8080');
    expect(behindProxy.status).toBe(200);
    const hostBased = await key.proof('GET', 'http://internal:8080/api/read', { accessToken: token });
    const refused = await get(app, '/api/read', `DPoP ${token}`, hostBased).set('Host', 'internal:8080');
    expectRefused(refused, 401, /DPoP error="invalid_dpop_proof"/, 'invalid_dpop_proof');
  });

  it('refuses a replayed proof: 401 with a DPoP invalid_dpop_proof challenge', async () => {
    const token = await issue(app, key);
    const proof = await proofFor(token);
    expect((await get(app, '/api/read', `DPoP ${token}`, proof)).status).toBe(200);
    const replay = await get(app, '/api/read', `DPoP ${token}`, proof);
    expectRefused(replay, 401, new RegExp(`^Bearer realm="[^"]+", DPoP error="invalid_dpop_proof", error_description="[^"]+", ${ALGS}$`), 'invalid_dpop_proof');
  });

  it('refuses a proof for another URL, another method, or another access token (ath)', async () => {
    const token = await issue(app, key);
    const other = await issue(app, key);
    for (const proof of [await proofFor(token, '/api/other'), await proofFor(token, '/api/read', 'POST'), await proofFor(other)]) {
      expectRefused(await get(app, '/api/read', `DPoP ${token}`, proof), 401, /DPoP error="invalid_dpop_proof"/, 'invalid_dpop_proof');
    }
  });

  it('refuses a DPoP token without a proof', async () => {
    const token = await issue(app, key);
    expectRefused(await get(app, '/api/read', `DPoP ${token}`), 401, /DPoP error="invalid_dpop_proof"/, 'invalid_dpop_proof');
  });

  it('refuses a DPoP-bound token sent as Bearer: invalid_token on the Bearer challenge (§7.2)', async () => {
    const token = await issue(app, key);
    const res = await get(app, '/api/read', `Bearer ${token}`);
    expectRefused(res, 401, new RegExp(`^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]+", DPoP ${ALGS}$`), 'invalid_token');
    // With a proof too: the scheme says how the token is used, and Bearer is not the way of a bound token.
    expect((await get(app, '/api/read', `Bearer ${token}`, await proofFor(token))).status).toBe(401);
  });

  it("refuses a proof signed by another key than the token's cnf", async () => {
    const token = await issue(app, key);
    const thief = await dpopKey();
    expectRefused(await get(app, '/api/read', `DPoP ${token}`, await proofFor(token, '/api/read', 'GET', thief)), 401, /DPoP error="invalid_token"/, 'invalid_token');
  });

  it('refuses a Bearer token presented as DPoP: it is bound to no key (§7.1)', async () => {
    const token = await issue(app);
    expectRefused(await get(app, '/api/read', `DPoP ${token}`, await proofFor(token)), 401, /DPoP error="invalid_token"/, 'invalid_token');
    expect((await get(app, '/api/read', `Bearer ${token}`)).status).toBe(200);
  });

  it('names both schemes in the challenge of a request without a token, DPoP with its algorithms (§7.1)', async () => {
    const res = await request(app).get('/api/read');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer realm="${FLOW_ISSUER}", scope="read", DPoP ${ALGS}`);
  });

  it('puts insufficient_scope on the DPoP challenge of a DPoP request', async () => {
    const token = await issue(app, key);
    const res = await get(app, '/api/read-write', `DPoP ${token}`, await proofFor(token, '/api/read-write'));
    expectRefused(res, 403, /DPoP error="insufficient_scope", error_description="[^"]+", scope="read write", algs=/, 'insufficient_scope');
  });

  it("checks a resource's routes against the resource's origin, and lists the algorithms in its RFC 9728 document", async () => {
    const token = await issue(app, key, { resource: API });
    const res = await get(app, '/v1/data', `DPoP ${token}`, await key.proof('GET', 'https://api.example/v1/data', { accessToken: token }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ audience: API, cnf: { jkt: key.jkt } });
    const onIssuerOrigin = await get(app, '/v1/data', `DPoP ${token}`, await proofFor(token, '/v1/data'));
    expect(onIssuerOrigin.status).toBe(401);
    const metadata = await request(app).get('/.well-known/oauth-protected-resource/v1');
    expect(metadata.body.dpop_signing_alg_values_supported).toEqual(ACCESS_TOKEN_ALGORITHMS);
  });

  it('binds a JWT access token (cnf.jkt, RFC 9449 §6.1) and checks its proofs like an opaque one', async () => {
    const token = await issue(app, key, { resource: MCP });
    expect(decodeJwt(token).cnf).toEqual({ jkt: key.jkt });
    const res = await get(app, '/mcp', `DPoP ${token}`, await proofFor(token, '/mcp'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ audience: MCP, cnf: { jkt: key.jkt } });
    expectRefused(await get(app, '/mcp', `Bearer ${token}`), 401, /error="invalid_token"/, 'invalid_token');
    const thief = await dpopKey();
    expectRefused(await get(app, '/mcp', `DPoP ${token}`, await proofFor(token, '/mcp', 'GET', thief)), 401, /DPoP error="invalid_token"/, 'invalid_token');
  });

  it('with dpop: false, a DPoP header is no credential at all and the challenge is Bearer alone', async () => {
    const off = resourceApp(kind, { dpop: false });
    const token = await issue(off);
    const res = await get(off, '/api/read', `DPoP ${token}`, await proofFor(token));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer realm="${FLOW_ISSUER}", scope="read"`);
  });

  it('with nonces: use_dpop_nonce and a DPoP-Nonce header, then the retry with it passes and gets a fresh nonce (§9)', async () => {
    const withNonces = resourceApp(kind, { dpop: { requireNonce: true, nonceSecret: NONCE_SECRET } });
    const first = await request(withNonces).post('/oauth/token').auth('svc', 'svc-secret').type('form').set('DPoP', await key.proof('POST', TOKEN_URL)).send({ grant_type: 'client_credentials', scope: 'read' });
    const nonce = first.headers['dpop-nonce'];
    const tokenRes = await request(withNonces).post('/oauth/token').auth('svc', 'svc-secret').type('form').set('DPoP', await key.proof('POST', TOKEN_URL, { claims: { nonce } })).send({ grant_type: 'client_credentials', scope: 'read' });
    const token = tokenRes.body.access_token;
    const missing = await get(withNonces, '/api/read', `DPoP ${token}`, await proofFor(token));
    expectRefused(missing, 401, /^Bearer realm="[^"]+", DPoP error="use_dpop_nonce", error_description="[^"]+", algs=/, 'use_dpop_nonce');
    expect(missing.headers['dpop-nonce']).toBe(nonce);
    const retry = await get(withNonces, '/api/read', `DPoP ${token}`, await key.proof('GET', `${ORIGIN}/api/read`, { accessToken: token, claims: { nonce } }));
    expect(retry.status).toBe(200);
    expect(retry.headers['dpop-nonce']).toBe(nonce);
  });
});

describe('the token guard with any verifier (as resourceServer() builds it)', () => {
  it('binds a token whose TokenInfo carries cnf to the proof key, from the guard origin', async () => {
    const key = await dpopKey();
    const seen = new Set<string>();
    const requests = dpopRequests({ algorithms: ACCESS_TOKEN_ALGORITHMS }, () => Math.floor(Date.now() / 1000), async (id) => !seen.has(id) && Boolean(seen.add(id)));
    const guard = tokenGuard({
      verify: async (token) => (token === 'remote-token' ? { clientId: 'c', scope: ['read'], expiresAt: Number.MAX_SAFE_INTEGER, cnf: { jkt: key.jkt } } : undefined),
      audienceRule: { acceptTokensWithoutAudience: true },
      clock: () => Math.floor(Date.now() / 1000),
      realm: 'remote',
      methods: { body: false, query: false },
      readForm: rawFormReader({ maxBodySize: 1024, maxParameters: 10, maxParameterLength: 100 }),
      readQuery: queryReader({ maxParameterLength: 100 }),
      dpop: { requests, origin: 'https://rs.example' },
      onError: () => {},
    });
    const app = express();
    app.get('/data', guard('read'), (req, res) => void res.json(req.oauth));
    const ok = await get(app, '/data', 'DPoP remote-token', await key.proof('GET', 'https://rs.example/data', { accessToken: 'remote-token' }));
    expect(ok.status).toBe(200);
    expect((await get(app, '/data', 'Bearer remote-token')).status).toBe(401);
  });
});
