import type { Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import type { ClientMetadata } from '../../lib/clients/client';
import { oauthServer, type OAuthServer } from '../../lib/server';
import { freePort } from '../helpers/redis-server';

const ROBOT: ClientMetadata = { client_id: 'robot', client_secret: 'robot-secret', grant_types: ['client_credentials'], scope: 'read write' };

/**
 * Resource servers that other people wrote, checking our JWT access tokens with nothing but
 * the issuer's URL: they discover the metadata at the RFC 8414 §3.1 path-insertion URL, then
 * fetch the keys from its jwks_uri.
 */
describe("Auth0's express-oauth2-jwt-bearer as a resource server of our tokens", () => {
  let oauth: OAuthServer;
  let server: Server;
  let issuer: string;
  let api: string;
  let resourceServer: express.Express;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}/oauth`;
    api = `http://127.0.0.1:${port}/api`;
    oauth = oauthServer({ issuer, clients: [ROBOT], resources: [{ uri: api, scopes: ['read', 'write'] }] });
    const host = express();
    host.use('/oauth', oauth);
    host.get(oauth.metadataPath, oauth.metadataHandler);
    await new Promise<void>((resolve) => {
      server = host.listen(port, '127.0.0.1', () => resolve());
    });

    // Another team's app: it does not run our package.
    resourceServer = express();
    resourceServer.get('/reports', auth({ issuerBaseURL: issuer, audience: api, tokenSigningAlg: 'ES256' }), requiredScopes('read'), (req, res) => {
      res.json({ sub: req.auth?.payload.sub, client_id: req.auth?.payload.client_id, typ: req.auth?.header.typ });
    });
    resourceServer.use(((error, _req, res, _next) => {
      res.status(error.status ?? 500).set(error.headers ?? {}).json({ error: error.code ?? error.message });
    }) as express.ErrorRequestHandler);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await oauth.close();
  });

  const token = async (scope: string, resource = api) => {
    const res = await request(server).post('/oauth/token').auth('robot', 'robot-secret').type('form').send({ grant_type: 'client_credentials', scope, resource });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };

  test('accepts a token for its audience, and sees RFC 9068 claims', async () => {
    const res = await request(resourceServer).get('/reports').set('Authorization', `Bearer ${await token('read')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'robot', client_id: 'robot', typ: 'at+jwt' });
  });

  test('refuses a token without the scope it requires, and a token that is not a JWT', async () => {
    expect((await request(resourceServer).get('/reports').set('Authorization', `Bearer ${await token('write')}`)).status).toBe(403);
    const opaque = (await request(server).post('/oauth/token').auth('robot', 'robot-secret').type('form').send({ grant_type: 'client_credentials' })).body.access_token;
    expect((await request(resourceServer).get('/reports').set('Authorization', `Bearer ${opaque}`)).status).toBe(401);
  });

  test('keeps accepting a revoked token until it expires: a resource server in another process cannot see revocation without introspection (README, "JWT access tokens")', async () => {
    const revoked = await token('read');
    await request(server).post('/oauth/revoke').auth('robot', 'robot-secret').type('form').send({ token: revoked });
    expect((await request(resourceServer).get('/reports').set('Authorization', `Bearer ${revoked}`)).status).toBe(200);
  });
});
