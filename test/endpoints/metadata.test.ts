import express from 'express';
import request from 'supertest';
import { testApp, ISSUER, SERVICE } from '../helpers/test-app';
import { oauthServer } from '../../lib/server';
import { metadataPath } from '../../lib/endpoints/metadata';

describe('authorization server metadata (RFC 8414)', () => {
  const { app, oauth } = testApp();
  app.get(oauth.metadataPath, oauth.metadataHandler);
  afterAll(() => oauth.close());

  test('served at the path-insertion URL of §3.1 and under the router, the same document', async () => {
    const inserted = await request(app).get('/.well-known/oauth-authorization-server/oauth');
    const underRouter = await request(app).get('/oauth/.well-known/oauth-authorization-server');
    expect(inserted.status).toBe(200);
    expect(inserted.headers['content-type']).toMatch(/^application\/json/);
    expect(underRouter.body).toEqual(inserted.body);
  });

  test('issuer equals the configured issuer exactly, and endpoints are under it (§3.3)', async () => {
    const { body } = await request(app).get('/oauth/.well-known/oauth-authorization-server');
    expect(body.issuer).toBe(ISSUER);
    expect(body).toMatchObject({
      token_endpoint: `${ISSUER}/token`,
      revocation_endpoint: `${ISSUER}/revoke`,
      introspection_endpoint: `${ISSUER}/introspect`,
    });
  });

  test('lists only what is enabled', async () => {
    const { body } = await request(app).get('/oauth/.well-known/oauth-authorization-server');
    expect(body.grant_types_supported).toEqual(['client_credentials']);
    expect(body.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt']);
    expect(body.revocation_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt']);
    expect(body.introspection_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    // RFC 8414 §2: the algorithms of private_key_jwt assertions (RFC 7523), asymmetric only.
    for (const endpoint of ['token', 'revocation', 'introspection']) {
      expect(body[`${endpoint}_endpoint_auth_signing_alg_values_supported`]).toEqual(['ES256', 'PS256', 'RS256', 'EdDSA']);
    }
    expect(body.response_types_supported).toEqual([]);
    expect(body.scopes_supported).toEqual(['read', 'write']);
    expect(body).not.toHaveProperty('authorization_endpoint');
  });

  test('scopes_supported is left out when clients come from a lookup function', () => {
    const lookup = oauthServer({ issuer: ISSUER, clients: async () => SERVICE });
    expect(lookup.metadata).not.toHaveProperty('scopes_supported');
    void lookup.close();
  });

  test.each([
    ['https://a.example', '/.well-known/oauth-authorization-server'],
    ['https://a.example/', '/.well-known/oauth-authorization-server'],
    ['https://a.example/oauth', '/.well-known/oauth-authorization-server/oauth'],
    ['https://a.example/tenant/one', '/.well-known/oauth-authorization-server/tenant/one'],
  ])('the metadata path of issuer %s is %s', (issuer, path) => {
    expect(metadataPath(issuer)).toBe(path);
  });

  test('an issuer with a trailing slash gives endpoints without a double slash', () => {
    const server = oauthServer({ issuer: 'https://a.example/', clients: [SERVICE] });
    expect(server.metadata.token_endpoint).toBe('https://a.example/token');
    void server.close();
  });

  test('a host app mounting the router elsewhere still serves it at the path it chooses', async () => {
    const host = express();
    const server = oauthServer({ issuer: 'https://a.example/auth', clients: [SERVICE] });
    host.use('/auth', server);
    host.get(server.metadataPath, server.metadataHandler);
    const res = await request(host).get('/.well-known/oauth-authorization-server/auth');
    expect(res.body.token_endpoint).toBe('https://a.example/auth/token');
    await server.close();
  });
});
