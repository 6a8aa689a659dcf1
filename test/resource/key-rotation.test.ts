import express from 'express';
import request from 'supertest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import type { ClientMetadata } from '../../lib/clients/client';
import { oauthServer, type OAuthServer } from '../../lib/server';
import { redisStore } from '../../lib/stores/redis/store';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { uniqueKeyPrefix } from '../helpers/stores';

const ISSUER = 'https://as.example/oauth';
const API = 'https://as.example/api';
const ROBOT: ClientMetadata = { client_id: 'robot', client_secret: 'robot-secret', grant_types: ['client_credentials'], scope: 'read' };
const ROTATE_AFTER = 3600;
const TOKEN_LIFETIME = 900;

/**
 * Two instances of the server on one Redis, with generated keys: one key set, rotated once by
 * whichever instance sees it due, so that a token signed by either verifies at both, before,
 * during and after a rotation; and a retired key leaves the JWKS after its last token expired.
 */
describe('key rotation across two instances on one Redis', () => {
  let redis: RedisServer;
  let now = 1_800_000_000;
  const instances: { app: express.Express; oauth: OAuthServer }[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const keyPrefix = uniqueKeyPrefix();
    for (let i = 0; i < 2; i += 1) {
      const oauth = oauthServer({
        issuer: ISSUER,
        clients: [ROBOT],
        store: redisStore({ url: redis.url, keyPrefix }),
        clock: () => now,
        resources: [{ uri: API, scopes: ['read'], accessTokenLifetime: TOKEN_LIFETIME }],
        signingKeys: { rotateAfterSeconds: ROTATE_AFTER, keepPrivateKeysInStore: true },
      });
      const app = express();
      app.use('/oauth', oauth);
      app.get('/api', oauth.resource(API).requireToken('read'), (_req, res) => void res.json({ ok: true }));
      instances.push({ app, oauth });
    }
  });
  afterAll(async () => {
    await Promise.all(instances.map(({ oauth }) => oauth.close()));
    await redis.stop();
  });

  const [a, b] = [0, 1].map((index) => () => instances[index].app);
  const issueAt = async (app: express.Express) => {
    const res = await request(app).post('/oauth/token').auth('robot', 'robot-secret').type('form').send({ grant_type: 'client_credentials', resource: API });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };
  const acceptedAtBoth = async (token: string) => {
    for (const app of [a(), b()]) expect((await request(app).get('/api').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  };
  const jwks = async (app: express.Express) => (await request(app).get('/oauth/jwks')).body as JSONWebKeySet;
  const kid = (token: string) => decodeProtectedHeader(token).kid;

  test('tokens of either instance verify at both, through a rotation; the old key leaves after its last token', async () => {
    const first = await issueAt(a());
    expect(kid(await issueAt(b()))).toBe(kid(first));
    await acceptedAtBoth(first);

    // The next key is due: published now, signing only after the publish-ahead time.
    now += ROTATE_AFTER - 600 + 1;
    const beforeRotation = await issueAt(b());
    expect(kid(beforeRotation)).toBe(kid(first));
    const published = (await jwks(a())).keys.map((key) => key.kid);
    expect(published).toHaveLength(2);
    expect(published).toContain(kid(first));
    expect((await jwks(b())).keys.map((key) => key.kid).sort()).toEqual([...published].sort());

    // The new key signs, at both instances; the old key's unexpired token still verifies.
    now += 600;
    const afterRotation = await issueAt(a());
    expect(kid(afterRotation)).not.toBe(kid(first));
    expect(kid(await issueAt(b()))).toBe(kid(afterRotation));
    await acceptedAtBoth(beforeRotation);
    await acceptedAtBoth(afterRotation);

    // Past the old key's last token (and the skew), it is no longer published: what it signed
    // does not verify against the JWKS anymore, even ignoring expiry.
    const oldKeySet = await jwks(a());
    now += TOKEN_LIFETIME + 61 + 60;
    await issueAt(a());
    const remaining = (await jwks(a())).keys.map((key) => key.kid);
    expect(remaining).toEqual([kid(afterRotation)]);
    const options = { issuer: ISSUER, audience: API, currentDate: new Date((now - 2 * TOKEN_LIFETIME) * 1000) };
    await expect(jwtVerify(beforeRotation, createLocalJWKSet(oldKeySet), options)).resolves.toBeDefined();
    await expect(jwtVerify(beforeRotation, createLocalJWKSet(await jwks(b())), options)).rejects.toThrow();
  });
});
