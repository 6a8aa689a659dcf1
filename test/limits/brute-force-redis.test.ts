import request from 'supertest';
import { basic, buildApp, expectOAuthErrorBody, type TestApp } from '../helpers/app';
import { chosenSecret } from '../helpers/secrets';
import { redisStore } from '../../lib/stores/redis';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

const svc = chosenSecret('svc-chosen-secret');
const clients = [{ client_id: 'svc', client_secret: svc.hash, grant_types: ['client_credentials'], scope: 'read' }];

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

const asSvc = ({ app }: TestApp, secret: string) =>
  request(app).post('/oauth/token').type('form').set('Authorization', basic('svc', secret)).send('grant_type=client_credentials');

describe('brute-force limits in Redis', () => {
  test('two instances sharing a Redis share the counters: failures on one block the client on the other', async () => {
    const keyPrefix = `shared${Date.now()}:`;
    const bruteForce = { perPair: { points: 3 } };
    const one = buildApp({ clients, bruteForce, store: redisStore({ url: redis.url, keyPrefix }) });
    const two = buildApp({ clients, bruteForce, store: redisStore({ url: redis.url, keyPrefix }) });
    try {
      await asSvc(one, 'wrong');
      await asSvc(two, 'wrong');
      await asSvc(one, 'wrong');
      const blocked = await asSvc(two, svc.secret);
      expect(blocked.status).toBe(401);
      expectOAuthErrorBody(blocked.body, 'invalid_client');
    } finally {
      await Promise.all([one.oauth.close(), two.oauth.close()]);
    }
  });

  test('with Redis unreachable, client authentication fails closed: 503, no token even for the right secret', async () => {
    const down = buildApp({ clients, store: redisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 }) });
    try {
      const res = await asSvc(down, svc.secret);
      expect(res.status).toBe(503);
      expectOAuthErrorBody(res.body, 'temporarily_unavailable');
    } finally {
      await down.oauth.close();
    }
  });
});
