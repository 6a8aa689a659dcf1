import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import type { Express } from 'express';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { ClientMetadata } from '../../lib/clients/client';
import type { OAuthServer } from '../../lib/server';
import { STORE_KINDS, useStores } from '../helpers/stores';
import { FLOW_CLIENTS, flowOptions, testApp, tokenRequest } from '../helpers/test-app';

const ISSUER = 'https://as.example/oauth';
const API = 'https://as.example/api';
const OTHER = 'https://other.example/api';
const ROBOT: ClientMetadata = { client_id: 'robot', client_secret: 'robot-secret', grant_types: ['client_credentials'], scope: 'read write' };

const makeStore = useStores();
let signingJwk: JWK;
beforeAll(async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  signingJwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1', alg: 'ES256' };
});

describe.each(STORE_KINDS)('JWT access tokens (RFC 9068) on the %s store', (kind) => {
  let app: Express;
  let oauth: OAuthServer;
  let advance: (seconds: number) => void;
  beforeEach(() => {
    ({ app, oauth, advance } = testApp({
      ...flowOptions((clock) => makeStore(kind, clock)),
      clients: [...FLOW_CLIENTS, ROBOT],
      resources: [
        { uri: API, scopes: ['read', 'write'] },
        { uri: OTHER, scopes: ['read'] },
      ],
      signingKeys: { keys: [signingJwk] },
    }));
    const api = oauth.resource(API);
    app.get('/api/hello', api.requireToken('read'), (req, res) => void res.json(req.oauth));
  });

  const issue = async (form: Record<string, string> = {}) => {
    const res = await tokenRequest(app, { grant_type: 'client_credentials', resource: API, ...form }, ['robot', 'robot-secret']);
    expect(res.status).toBe(200);
    return res.body as { access_token: string; expires_in: number; token_type: string; scope: string };
  };
  const callApi = (token: string) => request(app).get('/api/hello').set('Authorization', `Bearer ${token}`);
  const expectInvalidToken = async (token: string) => {
    const res = await callApi(token);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  };
  /** A token signed with the server's own key: what only a holder of the private key can make. */
  const signWithServerKey = async (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: signingJwk.kid, typ: 'at+jwt', ...header })
      .sign(await importJWK(signingJwk, 'ES256'));

  it('has the RFC 9068 §2 header and claims', async () => {
    const body = await issue();
    expect(body.token_type).toBe('Bearer');
    expect(decodeProtectedHeader(body.access_token)).toEqual({ alg: 'ES256', kid: 'test-key-1', typ: 'at+jwt' });
    const [, payload] = body.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims).toEqual({
      iss: ISSUER,
      aud: API,
      // RFC 9068 §2.2: a client's own token has the client as its subject.
      sub: 'robot',
      client_id: 'robot',
      scope: 'read write',
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(claims.exp - claims.iat).toBe(body.expires_in);
  });

  it('is accepted at its resource, with what it grants in req.oauth', async () => {
    const res = await callApi((await issue()).access_token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ clientId: 'robot', scope: ['read', 'write'], expiresAt: expect.any(Number), audience: API });
  });

  it('is refused at once after revocation (RFC 7009), and introspection follows (RFC 7662, with aud)', async () => {
    const token = (await issue()).access_token;
    expect((await callApi(token)).status).toBe(200);
    const introspect = () => request(app).post('/oauth/introspect').auth('robot', 'robot-secret').type('form').send({ token });
    expect((await introspect()).body).toMatchObject({ active: true, aud: API, client_id: 'robot', scope: 'read write', token_type: 'Bearer' });
    const revoked = await request(app).post('/oauth/revoke').auth('robot', 'robot-secret').type('form').send({ token });
    expect(revoked.status).toBe(200);
    await expectInvalidToken(token);
    expect((await introspect()).body).toEqual({ active: false });
  });

  it('cannot be revoked by another client', async () => {
    const token = (await issue()).access_token;
    await request(app).post('/oauth/revoke').auth('svc', 'svc-secret').type('form').send({ token });
    expect((await callApi(token)).status).toBe(200);
  });

  it('expires with its exp', async () => {
    const body = await issue();
    advance(body.expires_in);
    await expectInvalidToken(body.access_token);
  });

  it('is refused at another resource and at routes of tokens without audience (RFC 9068 §4)', async () => {
    const forOther = (await issue({ resource: OTHER, scope: 'read' })).access_token;
    await expectInvalidToken(forOther);
    const forApi = (await issue()).access_token;
    expect((await request(app).get('/api/read').set('Authorization', `Bearer ${forApi}`)).status).toBe(401);
  });

  describe('hostile tokens: 401 invalid_token, never a 5xx', () => {
    it('refuses a token signed by another key under the server key id', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const token = (await issue()).access_token;
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: signingJwk.kid, typ: 'at+jwt' }).sign(privateKey);
      await expectInvalidToken(forged);
    });

    it('refuses a forgery of a token already accepted, whose check is remembered: re-signed by another key, or its header and claims under another token\'s signature', async () => {
      const token = (await issue()).access_token;
      expect((await callApi(token)).status).toBe(200);
      const [header, payload] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const { privateKey } = await generateKeyPair('ES256');
      const resigned = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: signingJwk.kid, typ: 'at+jwt' }).sign(privateKey);
      const otherSignature = `${header}.${payload}.${(await issue()).access_token.split('.')[2]}`;
      for (const forged of [resigned, otherSignature]) {
        await expectInvalidToken(forged);
        const introspected = await request(app).post('/oauth/introspect').auth('robot', 'robot-secret').type('form').send({ token: forged });
        expect(introspected.body).toEqual({ active: false });
      }
    });

    it('refuses alg none', async () => {
      const token = (await issue()).access_token;
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      await expectInvalidToken(new UnsecuredJWT(claims).encode());
    });

    it('refuses HS256 keyed with the public key (algorithm confusion)', async () => {
      const token = (await issue()).access_token;
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      const { d: _d, ...publicJwk } = signingJwk;
      const publicPem = await exportSPKI((await importJWK(publicJwk, 'ES256')) as CryptoKey);
      const confused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: signingJwk.kid, typ: 'at+jwt' }).sign(new TextEncoder().encode(publicPem));
      await expectInvalidToken(confused);
    });

    it('refuses a token of the right key that the server never issued (its jti has no record)', async () => {
      const token = (await issue()).access_token;
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      await expectInvalidToken(await signWithServerKey({ ...claims, jti: 'A'.repeat(43) }));
    });

    it('refuses the right key with another typ or another issuer', async () => {
      const token = (await issue()).access_token;
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      await expectInvalidToken(await signWithServerKey(claims, { typ: 'JWT' }));
      await expectInvalidToken(await signWithServerKey({ ...claims, iss: 'https://evil.example/oauth' }));
    });

    it.each([
      ['three empty parts', '..'],
      ['bad base64', 'a.b.c'],
      ['a header that is not JSON', `${Buffer.from('nope').toString('base64url')}.e30.AA`],
      ['an 8 KB token', `eyJhbGciOiJFUzI1NiJ9.${'A'.repeat(8000)}.AA`],
    ])('refuses %s', async (_name, token) => {
      await expectInvalidToken(token);
    });
  });

  it('publishes its keys at jwks_uri, named in the metadata, and jose verifies the tokens from there', async () => {
    const metadata = (await request(app).get('/oauth/.well-known/oauth-authorization-server')).body;
    expect(metadata.jwks_uri).toBe(`${ISSUER}/jwks`);
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/oauth/jwks`));
      const { payload, protectedHeader } = await jwtVerify((await issue()).access_token, jwks, {
        issuer: ISSUER,
        audience: API,
        typ: 'at+jwt',
        algorithms: ['ES256'],
      });
      expect(protectedHeader.kid).toBe('test-key-1');
      expect(payload.client_id).toBe('robot');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
