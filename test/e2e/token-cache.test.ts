import request from 'supertest';
import { redisStore } from '../../lib/stores/redis/store';
import { basic, testApp, type TestApp } from '../helpers/test-app';
import { eventually } from '../helpers/eventually';
import { startRedisServer, withRedis, type RedisServer } from '../helpers/redis-server';

/** The README's bound for a revocation to reach every instance with the token cache. */
const MAX_STALENESS_MS = 1000;

let redis: RedisServer;
let issuer: TestApp;
let cached: TestApp;
beforeAll(async () => {
  redis = await startRedisServer();
  // Two app instances sharing Redis, each with its own connections and its own token cache.
  const store = () => redisStore({ url: redis.url, keyPrefix: 'e2e:', cache: { maxStalenessMs: MAX_STALENESS_MS } });
  issuer = testApp({ store: store() });
  cached = testApp({ store: store() });
});
afterAll(async () => {
  await Promise.all([issuer.oauth.close(), cached.oauth.close()]);
  await redis.stop();
});

test('a token revoked through /oauth/revoke on one instance is refused by the other within maxStalenessMs', async () => {
  const issued = await request(issuer.app).post('/oauth/token').type('form').set('Authorization', basic('svc', 'svc-secret')).send('grant_type=client_credentials');
  const token: string = issued.body.access_token;
  const use = () => request(cached.app).get('/api/read').set('Authorization', `Bearer ${token}`);
  const gets = () => withRedis(redis.port, async (client) => Number(/^cmdstat_get:calls=(\d+)/m.exec(await client.info('commandstats'))?.[1] ?? 0));
  // The other instance answers from memory: no GET reaches Redis.
  await eventually('the token to be served from memory', async () => {
    const before = await gets();
    const status = (await use()).status;
    return status === 200 && (await gets()) === before;
  }, 5000);

  const revoked = await request(issuer.app).post('/oauth/revoke').type('form').set('Authorization', basic('svc', 'svc-secret')).send({ token });
  expect(revoked.status).toBe(200);
  const started = performance.now();
  let status = (await use()).status;
  while (status === 200 && performance.now() - started < 5 * MAX_STALENESS_MS) status = (await use()).status;
  expect(status).toBe(401);
  expect(performance.now() - started).toBeLessThan(MAX_STALENESS_MS);
});
