import express from 'express';
import request from 'supertest';
import { oauthServer, resourceServer, type OAuthServer, type ResourceServer } from '../../lib';
import { listenLocal, type LocalServer } from '../helpers/local-server';
import { decodeJwt } from 'jose';
import { dpopKey, type DpopKey } from '../helpers/dpop';

/** resourceServer() in front of this package's own oauthServer(), over real HTTP on 127.0.0.1. */
const RESOURCE = 'https://api.example.test/reports';
const JWT_RESOURCE = 'https://mcp.example.test/mcp';
let server: LocalServer;
let oauth: OAuthServer;
let api: ResourceServer;
let jwtApi: ResourceServer;
let jwksFetches: number;
let now = 1_800_000_000;
const clock = () => now;
let app: express.Express;

beforeEach(async () => {
  let asApp: express.Express | undefined;
  server = await listenLocal((req, res) => asApp?.(req, res));
  const issuer = `${server.origin}/oauth`;
  oauth = oauthServer({
    issuer,
    clock,
    clients: [
      { client_id: 'robot', client_secret: 'robot-secret', grant_types: ['client_credentials'], scope: 'read' },
      { client_id: 'reports-api', client_secret: 'reports-api-secret', grant_types: ['client_credentials'], introspect_any: true },
    ],
    resources: [
      { uri: RESOURCE, scopes: ['read'], accessTokenFormat: 'opaque' },
      { uri: JWT_RESOURCE, scopes: ['read'] },
    ],
  });
  asApp = express();
  jwksFetches = 0;
  asApp.use((req, _res, next) => {
    if (req.path === '/oauth/jwks') jwksFetches++;
    next();
  });
  asApp.get(oauth.metadataPath, oauth.metadataHandler);
  asApp.use('/oauth', oauth);

  api = resourceServer({
    issuer, resource: RESOURCE, allowHttpLoopback: true, clock,
    introspection: { clientId: 'reports-api', clientSecret: 'reports-api-secret', cacheSeconds: 30 },
  });
  jwtApi = resourceServer({ issuer, resource: JWT_RESOURCE, allowHttpLoopback: true, clock });
  app = express();
  app.get('/reports', api.requireToken('read'), (req, res) => res.json(req.oauth));
  app.get('/mcp', jwtApi.requireToken('read'), (req, res) => res.json(req.oauth));
});
afterEach(async () => {
  await api.close();
  await jwtApi.close();
  await oauth.close();
  await server.close();
});

const token = async (form: Record<string, string>) => {
  const res = await request(server.origin).post('/oauth/token').auth('robot', 'robot-secret').type('form').send({ grant_type: 'client_credentials', ...form });
  expect(res.status).toBe(200);
  return res.body.access_token as string;
};

test('an opaque token issued for the resource is accepted through introspection, and a revocation is seen within cacheSeconds', async () => {
  const accessToken = await token({ resource: RESOURCE, scope: 'read' });
  const res = await request(app).get('/reports').set('Authorization', `Bearer ${accessToken}`);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ clientId: 'robot', scope: ['read'], expiresAt: now + 3600, audience: RESOURCE });

  const revoked = await request(server.origin).post('/oauth/revoke').auth('robot', 'robot-secret').type('form').send({ token: accessToken });
  expect(revoked.status).toBe(200);
  expect((await request(app).get('/reports').set('Authorization', `Bearer ${accessToken}`)).status).toBe(200);
  now += 30;
  expect((await request(app).get('/reports').set('Authorization', `Bearer ${accessToken}`)).status).toBe(401);
});

test('a token issued without a resource has no audience: refused unless acceptTokensWithoutAudience', async () => {
  const accessToken = await token({ scope: 'read' });
  const res = await request(app).get('/reports').set('Authorization', `Bearer ${accessToken}`);
  expect(res.status).toBe(401);
  expect(res.body.error).toBe('invalid_token');
});

test('JWT access tokens the server signs are verified with its jwks_uri, the key set fetched once', async () => {
  const tokens = await Promise.all([1, 2, 3].map(() => token({ resource: JWT_RESOURCE, scope: 'read' })));
  expect(tokens[0]?.split('.')).toHaveLength(3);
  for (const accessToken of tokens) {
    const res = await request(app).get('/mcp').set('Authorization', `Bearer ${accessToken}`);
    expect(res.status).toBe(200);
    // RFC 9068 §2.2: a client-credentials token's sub is the client: no user.
    expect(res.body).toEqual({ clientId: 'robot', scope: ['read'], expiresAt: expect.any(Number), audience: JWT_RESOURCE });
  }
  expect(jwksFetches).toBe(1);
});

test('a JWT for another resource of the same server is invalid_token here', async () => {
  const opaque = await token({ resource: RESOURCE, scope: 'read' });
  expect((await request(app).get('/mcp').set('Authorization', `Bearer ${opaque}`)).status).toBe(401);
  const jwt = await token({ resource: JWT_RESOURCE, scope: 'read' });
  expect((await request(app).get('/reports').set('Authorization', `Bearer ${jwt}`)).status).toBe(401);
});

describe('DPoP-bound tokens (RFC 9449 §6): the verifiers carry the binding, so a bound token is never a bearer token here', () => {
  const boundToken = async (resource: string, key: DpopKey) => {
    const res = await request(server.origin)
      .post('/oauth/token')
      .auth('robot', 'robot-secret')
      .set('DPoP', await key.proof('POST', `${server.origin}/oauth/token`, { iat: now }))
      .type('form')
      .send({ grant_type: 'client_credentials', resource, scope: 'read' });
    expect(res.body.token_type).toBe('DPoP');
    return res.body.access_token as string;
  };

  test('a bound JWT carries cnf.jkt and is refused as a Bearer token', async () => {
    const key = await dpopKey();
    const accessToken = await boundToken(JWT_RESOURCE, key);
    expect(decodeJwt(accessToken).cnf).toEqual({ jkt: key.jkt });
    const res = await request(app).get('/mcp').set('Authorization', `Bearer ${accessToken}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token", error_description="The access token is bound to a DPoP key/);
  });

  test('a bound JWT is accepted with Authorization: DPoP and a proof for this resource, once per proof (RFC 9449 §7)', async () => {
    const key = await dpopKey();
    const accessToken = await boundToken(JWT_RESOURCE, key);
    const proof = await key.proof('GET', `${JWT_RESOURCE}`, { iat: now, accessToken });
    const call = (dpopProof: string) => request(app).get('/mcp').set('Authorization', `DPoP ${accessToken}`).set('DPoP', dpopProof);
    const res = await call(proof);
    expect(res.status).toBe(200);
    expect(res.body.cnf).toEqual({ jkt: key.jkt });
    // The same proof again is a replay.
    const replay = await call(proof);
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
    // A proof of another key than the token's cnf.
    const other = await dpopKey();
    expect((await call(await other.proof('GET', `${JWT_RESOURCE}`, { iat: now, accessToken }))).status).toBe(401);
  });

  test('a bound opaque token is introspected as token_type DPoP with cnf, and refused as a Bearer token', async () => {
    const accessToken = await boundToken(RESOURCE, await dpopKey());
    const res = await request(app).get('/reports').set('Authorization', `Bearer ${accessToken}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token", error_description="The access token is bound to a DPoP key/);
  });
});
