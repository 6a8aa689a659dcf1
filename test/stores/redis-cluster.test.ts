import { Cluster } from 'ioredis';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { redisStore } from '../../lib/stores/redis/store';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';
import { startRedisCluster, type RedisClusterUnderTest } from '../helpers/redis-cluster';
import { withRedis } from '../helpers/redis-server';
import { SLACK_MS } from '../helpers/slack';
import { callApi, issueServiceToken, refreshRequest, spaGrant, flowOptions, testApp } from '../helpers/test-app';
import { redisStoreContract, systemNow } from './redis-contract';

let cluster: RedisClusterUnderTest | undefined;
let client: Cluster;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
  // On disconnect, ioredis waits up to disconnectTimeout (2 s) for the killed node's socket to close.
  client = new Cluster(cluster.nodes, { redisOptions: { disconnectTimeout: 200 } });
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

redisStoreContract('redis cluster', () => ({ client }));

describe('redis store on a cluster', () => {
  test('spreads tokens over the masters (the keys carry no common hash tag)', async () => {
    const store = redisStore({ client, keyPrefix: 'spread:' });
    const now = systemNow();
    for (let i = 0; i < 30; i += 1) {
      await store.saveAccessToken(hashTokenValue(generateTokenValue()), { clientId: 'c', scope: [], issuedAt: now, expiresAt: now + 60 });
    }
    const perNode = await Promise.all(
      (cluster as RedisClusterUnderTest).nodes.map(({ port }) => withRedis(port, async (node) => (await node.keys('spread:*')).length)),
    );
    expect(perNode.reduce((sum, count) => sum + count, 0)).toBe(30);
    expect(perNode.filter((count) => count > 0).length).toBeGreaterThan(1);
  });

  test('end to end: a token issued through the token endpoint opens requireToken, and only it does', async () => {
    const { app } = testApp(flowOptions(() => redisStore({ client })));
    const token = await issueServiceToken(app);
    const granted = await callApi(app, token);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ clientId: 'svc', scope: ['read'] });
    const refused = await callApi(app, generateTokenValue());
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  test('end to end: authorization code with PKCE, the API as the user, refresh rotation, and reuse revoking the grant', async () => {
    // No reuse grace: the reuse below comes at once.
    const { app } = testApp(flowOptions(() => redisStore({ client }), { refreshTokenReuseGrace: 0 }));
    const first = await spaGrant(app);
    expect((await callApi(app, first.access_token)).body).toMatchObject({ clientId: 'spa', sub: 'alice' });
    const second = await refreshRequest(app, first.refresh_token);
    expect(second.status).toBe(200);
    expect((await callApi(app, second.body.access_token)).status).toBe(200);
    // RFC 9700 §4.14.2: a rotated refresh token presented again revokes the grant.
    expect((await refreshRequest(app, first.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
    expect((await callApi(app, second.body.access_token)).status).toBe(401);
  });

  test("durability 'replicated' on a cluster without replicas: each revocation runs on its grant's master, and is 503 for want of a replica", async () => {
    const keyPrefix = 'durable:';
    const store = redisStore({ client, keyPrefix });
    const replicated = redisStore({ client, keyPrefix, durability: 'replicated', commandTimeoutMs: 400 });
    try {
      const now = systemNow();
      const grantIds = Array.from({ length: 6 }, () => generateGrantId());
      for (const grantId of grantIds) {
        const record = { clientId: 'c', scope: [], grantId, issuedAt: now, expiresAt: now + 60 };
        const hash = hashTokenValue(generateTokenValue('', grantId));
        await store.saveGrantTokens({ grantId, accessToken: { hash, record } });
        await expect(replicated.revokeGrant(grantId)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
        await expect(store.findAccessToken(hash)).resolves.toBeUndefined();
      }
    } finally {
      await Promise.all([store.close(), replicated.close()]);
    }
  });

  // Last: it leaves the cluster without a master for a third of its slots.
  test('with a master lost, operations on its slots fail as unavailable within the limit, and the others still work', async () => {
    const limitMs = 500;
    const store = redisStore({ client, keyPrefix: 'lost:', commandTimeoutMs: limitMs });
    const now = systemNow();
    const record = { clientId: 'c', scope: [], issuedAt: now, expiresAt: now + 60 };
    await (cluster as RedisClusterUnderTest).killNode(2);

    const outcomes = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const started = Date.now();
        const outcome = await store.saveAccessToken(hashTokenValue(generateTokenValue()), record).then(
          () => 'saved',
          (error: unknown) => (error instanceof TemporarilyUnavailableError ? 'unavailable' : String(error)),
        );
        return { outcome, ms: Date.now() - started };
      }),
    );
    expect(new Set(outcomes.map(({ outcome }) => outcome))).toEqual(new Set(['saved', 'unavailable']));
    expect(Math.max(...outcomes.map(({ ms }) => ms))).toBeLessThan(limitMs + SLACK_MS);
  });
});
