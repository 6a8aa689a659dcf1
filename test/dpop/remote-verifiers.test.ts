import express from 'express';
import request from 'supertest';
import { decodeJwt } from 'jose';
import { oauthServer, resourceServer, type OAuthServer, type ResourceServer } from '../../lib';
import { tokenInfoFromClaims } from '../../lib/resource/token-claims';
import { listenLocal, type LocalServer } from '../helpers/local-server';
import { dpopKey, type DpopKey } from '../helpers/dpop';

/**
 * The verifiers of resourceServer() (introspection, remote JWTs) carry a token's DPoP binding
 * (RFC 9449 §6.1, §6.2) to the guard, so that a bound token is never taken for a bearer token.
 */
const OPAQUE = 'https://api.example.test/reports';
const JWT = 'https://mcp.example.test/mcp';
let server: LocalServer;
let oauth: OAuthServer;
let opaqueApi: ResourceServer;
let jwtApi: ResourceServer;
let app: express.Express;
let key: DpopKey;

beforeAll(async () => {
  key = await dpopKey();
});
beforeEach(async () => {
  let asApp: express.Express | undefined;
  server = await listenLocal((req, res) => asApp?.(req, res));
  const issuer = `${server.origin}/oauth`;
  oauth = oauthServer({
    issuer,
    clients: [
      { client_id: 'robot', client_secret: 'robot-secret', grant_types: ['client_credentials'], scope: 'read' },
      { client_id: 'reports-api', client_secret: 'reports-api-secret', grant_types: ['client_credentials'], introspect_any: true },
    ],
    resources: [
      { uri: OPAQUE, scopes: ['read'], accessTokenFormat: 'opaque' },
      { uri: JWT, scopes: ['read'] },
    ],
  });
  asApp = express();
  asApp.get(oauth.metadataPath, oauth.metadataHandler);
  asApp.use('/oauth', oauth);
  opaqueApi = resourceServer({ issuer, resource: OPAQUE, allowHttpLoopback: true, introspection: { clientId: 'reports-api', clientSecret: 'reports-api-secret', cacheSeconds: 30 } });
  jwtApi = resourceServer({ issuer, resource: JWT, allowHttpLoopback: true });
  app = express();
  app.get('/reports', opaqueApi.requireToken('read'), (req, res) => res.json(req.oauth));
  app.get('/mcp', jwtApi.requireToken('read'), (req, res) => res.json(req.oauth));
});
afterEach(async () => {
  await opaqueApi.close();
  await jwtApi.close();
  await oauth.close();
  await server.close();
});

async function boundToken(resource: string): Promise<string> {
  const res = await request(server.origin)
    .post('/oauth/token')
    .auth('robot', 'robot-secret')
    .set('DPoP', await key.proof('POST', `${server.origin}/oauth/token`))
    .type('form')
    .send({ grant_type: 'client_credentials', resource, scope: 'read' });
  expect(res.body.token_type).toBe('DPoP');
  return res.body.access_token;
}

test('a DPoP-bound JWT from the server carries cnf.jkt, and resourceServer() refuses it as a Bearer token', async () => {
  const token = await boundToken(JWT);
  expect(decodeJwt(token).cnf).toEqual({ jkt: key.jkt });
  const res = await request(app).get('/mcp').set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
});

test('a DPoP-bound opaque token is introspected as token_type DPoP with cnf, and refused as a Bearer token', async () => {
  const token = await boundToken(OPAQUE);
  const res = await request(app).get('/reports').set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toMatch(/error="invalid_token", error_description="The access token is bound to a DPoP key/);
});

test('claims with a cnf carry its jkt; a cnf without a jkt (another confirmation method) is not accepted', () => {
  const claims = { client_id: 'c', scope: 'read', sub: undefined, expiresAt: 1 };
  expect(tokenInfoFromClaims({ ...claims, cnf: { jkt: 'thumb' } })?.cnf).toEqual({ jkt: 'thumb' });
  expect(tokenInfoFromClaims(claims)).not.toHaveProperty('cnf');
  expect(tokenInfoFromClaims({ ...claims, cnf: { 'x5t#S256': 'cert' } })).toBeUndefined();
  expect(tokenInfoFromClaims({ ...claims, cnf: null })).toBeUndefined();
});
