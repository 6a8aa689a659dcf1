import express from 'express';
import request from 'supertest';
import type { ClientMetadata } from '../../lib/clients/client';
import { oauthServer, type OAuthServer } from '../../lib/server';
import { redisStore } from '../../lib/stores/redis/store';
import { eventually } from '../helpers/eventually';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { uniqueKeyPrefix } from '../helpers/stores';

const ISSUER = 'https://as.example/oauth';
const API = 'https://as.example/api';
const ROBOT: ClientMetadata = { client_id: 'robot', client_secret: 'robot-secret', grant_types: ['client_credentials'], scope: 'read' };

/**
 * A JWT access token is stateless for a resource server elsewhere, but not in the deployment
 * that issued it: requireToken reads its jti's record, through the Redis token cache when it
 * is on, so a revocation at one instance reaches another one's cached copy (README, "Token
 * cache": within `maxStalenessMs`, 1 s by default).
 */
describe('revoking a JWT access token with the Redis token cache on', () => {
  let redis: RedisServer;
  const servers: OAuthServer[] = [];
  const apps: express.Express[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    const keyPrefix = uniqueKeyPrefix();
    for (let i = 0; i < 2; i += 1) {
      const oauth = oauthServer({
        issuer: ISSUER,
        clients: [ROBOT],
        store: redisStore({ url: redis.url, keyPrefix, cache: {} }),
        resources: [{ uri: API, scopes: ['read'] }],
        signingKeys: { keepPrivateKeysInStore: true },
      });
      const app = express();
      app.use('/oauth', oauth);
      app.get('/api', oauth.resource(API).requireToken('read'), (_req, res) => void res.json({ ok: true }));
      servers.push(oauth);
      apps.push(app);
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((oauth) => oauth.close()));
    await redis.stop();
  });

  test('one instance revokes; the other, which had the token cached, refuses it', async () => {
    const issued = await request(apps[0]).post('/oauth/token').auth('robot', 'robot-secret').type('form').send({ grant_type: 'client_credentials', resource: API });
    const token = issued.body.access_token as string;
    const call = () => request(apps[1]).get('/api').set('Authorization', `Bearer ${token}`);
    // Seen twice: the second answer comes from the cache.
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);

    expect((await request(apps[0]).post('/oauth/revoke').auth('robot', 'robot-secret').type('form').send({ token })).status).toBe(200);
    await eventually('the revocation to reach the other instance', async () => (await call()).status === 401, 5000);
  });
});
