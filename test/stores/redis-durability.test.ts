import { uniqueKeyPrefix } from '../helpers/stores';
import { grantTokens as tokensOfGrant } from '../helpers/grant-tokens';
import type { Redis } from 'ioredis';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { redisStore } from '../../lib/stores/redis/store';
import type { GrantTokens, Store } from '../../lib/stores/store';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';
import { eventually } from '../helpers/eventually';
import { sentinelClient, startSentinelSetUp, type SentinelSetUp } from '../helpers/redis-sentinel';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { storeReachable } from '../helpers/store-reachable';
import { systemNow } from './redis-contract';

/* redisStore({ durability: 'replicated' }): a revocation or a use is done only once a replica has it. */

const prefix = uniqueKeyPrefix;
const grantTokens = (grantId = generateGrantId()): GrantTokens => tokensOfGrant(grantId, { at: systemNow(), lifetime: 300 });

describe('a Redis without a replica', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis.stop();
  });

  test("with durability 'replicated', a revocation no replica acknowledges fails closed (503); with the default it is done", async () => {
    const keyPrefix = prefix();
    const replicated = redisStore({ url: redis.url, keyPrefix, durability: 'replicated', commandTimeoutMs: 400 });
    const primaryOnly = redisStore({ url: redis.url, keyPrefix });
    try {
      const tokens = grantTokens();
      await primaryOnly.saveGrantTokens(tokens);
      await expect(replicated.revokeGrant(tokens.grantId)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
      await expect(replicated.revokeAccessToken(tokens.accessToken.hash)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
      await expect(primaryOnly.revokeGrant(generateGrantId())).resolves.toBeUndefined();
    } finally {
      await Promise.all([replicated.close(), primaryOnly.close()]);
    }
  });

  test("with durability 'replicated', code exchanges, refreshes and device decisions and polls fail closed too, while look-ups and new tokens go on", async () => {
    const keyPrefix = prefix();
    const replicated = redisStore({ url: redis.url, keyPrefix, durability: 'replicated', commandTimeoutMs: 400 });
    const primaryOnly = redisStore({ url: redis.url, keyPrefix });
    try {
      const grantId = generateGrantId();
      const codeHash = hashTokenValue(generateTokenValue('', grantId));
      const now = systemNow();
      await primaryOnly.saveAuthorizationCode(codeHash, { grantId, clientId: 'spa', sub: 'alice', scope: [], redirectUri: 'https://spa.example/cb', redirectUriInRequest: false, issuedAt: now, expiresAt: now + 60 });
      const unavailable = expect.any(TemporarilyUnavailableError);
      const waiting = Promise.all([
        replicated.exchangeAuthorizationCode(codeHash, grantTokens(grantId)),
        replicated.rotateRefreshToken(hashTokenValue(generateTokenValue('', grantId)), grantTokens(grantId), 0),
        replicated.decideDeviceCode(hashTokenValue(generateTokenValue()), { approved: false }),
        replicated.pollDeviceCode(hashTokenValue(generateTokenValue()), 'tv', now),
      ].map((operation) => operation.catch((error: unknown) => error)));
      // Meanwhile, on the same store: WAIT blocks only the connection of the scripts that wait.
      const tokens = grantTokens();
      await expect(replicated.saveGrantTokens(tokens)).resolves.toBe(true);
      await expect(replicated.findAccessToken(tokens.accessToken.hash)).resolves.toEqual(tokens.accessToken.record);
      expect(await waiting).toEqual([unavailable, unavailable, unavailable, unavailable]);
    } finally {
      await Promise.all([replicated.close(), primaryOnly.close()]);
    }
  });

  test('an unknown durability is refused at start-up', () => {
    expect(() => redisStore({ url: redis.url, durability: 'quorum' as never })).toThrow(/durability/);
  });
});

describe('behind Sentinel, a primary and a replica', () => {
  let setUp: SentinelSetUp | undefined;
  let client: Redis;
  let store: Store | undefined;
  beforeAll(async () => {
    setUp = await startSentinelSetUp();
    client = sentinelClient(setUp);
  }, 30_000);
  afterAll(async () => {
    // The store's own connection for scripts that WAIT is a duplicate of the client: closed with the store.
    await store?.close();
    client?.disconnect();
    await setUp?.stop();
  });

  test("with durability 'replicated', a revocation waits for the replica: a replica that does not answer makes it 503, one that does keeps it through a failover", async () => {
    const { primary, replica, primaryPort } = setUp as SentinelSetUp;
    const subject = redisStore({ client, keyPrefix: prefix(), durability: 'replicated', commandTimeoutMs: 1000 });
    store = subject;
    await storeReachable(subject);
    const unacknowledged = grantTokens();
    const revoked = grantTokens();
    await subject.saveGrantTokens(unacknowledged);
    await subject.saveGrantTokens(revoked);

    replica.pause();
    try {
      await expect(subject.revokeGrant(unacknowledged.grantId)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    } finally {
      replica.resume();
    }

    // A resumed replica may take a moment to acknowledge again; a revocation answered 503 is retried, as a client would.
    await eventually('a revocation acknowledged by the replica', async () => {
      try {
        await subject.revokeGrant(revoked.grantId);
        return true;
      } catch {
        return false;
      }
    }, 10_000);
    // The primary is lost right after the revocation was answered.
    await primary.kill();
    await eventually('Sentinel to promote the replica', async () => (await primaryPort()) === replica.port, 20_000);
    await eventually('the store to reach the new primary', async () => (await subject.findAccessToken(generateTokenValue())) === undefined);
    await expect(subject.findAccessToken(revoked.accessToken.hash)).resolves.toBeUndefined();
    await expect(subject.saveGrantTokens(grantTokens(revoked.grantId))).resolves.toBe(false);
  }, 40_000);
});
