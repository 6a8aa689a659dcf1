import { Redis } from 'ioredis';
import { redisStore } from '../../lib/stores/redis/store';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { redisStoreContract, systemNow } from './redis-contract';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { quotaKey } from '../../lib/stores/store';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

describe('redis store specifics', () => {
  test('keeps no raw token: only the hash appears in the key, under the prefix, with a TTL', async () => {
    const store = redisStore({ url: redis.url, keyPrefix: 'layout:' });
    const token = generateTokenValue();
    const now = systemNow();
    await store.saveAccessToken(hashTokenValue(token), { clientId: 'c', scope: ['read'], issuedAt: now, expiresAt: now + 300 });
    const inspector = new Redis(redis.url);
    try {
      const keys = await inspector.keys('layout:*');
      expect(keys).toEqual([`layout:at:${hashTokenValue(token)}`]);
      expect(keys.join()).not.toContain(token);
      expect(await inspector.get(keys[0])).not.toContain(token);
      const ttl = await inspector.ttl(keys[0]);
      expect(ttl).toBeGreaterThan(290);
      expect(ttl).toBeLessThanOrEqual(300);
    } finally {
      inspector.disconnect();
      await store.close();
    }
  });

  test('keeps every key of a grant in its hash slot, under hashes only', async () => {
    const store = redisStore({ url: redis.url, keyPrefix: 'grant-layout:' });
    const grantId = generateGrantId();
    const accessToken = generateTokenValue('', grantId);
    const refreshToken = generateTokenValue('', grantId);
    const now = systemNow();
    const record = { clientId: 'c', scope: ['read'], sub: 'alice', grantId, issuedAt: now, expiresAt: now + 300 };
    await store.saveGrantTokens({
      grantId,
      accessToken: { hash: hashTokenValue(accessToken), record },
      refreshToken: { hash: hashTokenValue(refreshToken), record: { ...record, grantExpiresAt: now + 900 } },
    });
    await store.revokeGrant(generateGrantId());
    const inspector = new Redis(redis.url);
    try {
      const keys = (await inspector.keys('grant-layout:*')).filter((key) => key.includes(grantId)).sort();
      const digest = (token: string) => hashTokenValue(token).split('.')[1];
      expect(keys).toEqual(
        [
          `grant-layout:{${grantId}}:at:${digest(accessToken)}`,
          `grant-layout:{${grantId}}:rt:${digest(refreshToken)}`,
          `grant-layout:{${grantId}}:tokens`,
        ].sort(),
      );
      const secrets = [accessToken, refreshToken].map((token) => token.split('.')[1]);
      for (const key of keys) {
        const dump = JSON.stringify(await inspector.dump(key));
        for (const secret of secrets) expect(key + dump).not.toContain(secret);
      }
    } finally {
      inspector.disconnect();
      await store.close();
    }
  });

  test('keeps quotas under hashed, expiring keys of one hash slot: no raw address or client id', async () => {
    const store = redisStore({ url: redis.url, keyPrefix: 'quota-layout:' });
    const now = systemNow();
    const address = '198.51.100.7';
    const quotas = [
      { key: quotaKey('device:address', address), max: 5 },
      { key: quotaKey('device:client', 'living-room-tv'), max: 5 },
    ];
    const record = { clientId: 'living-room-tv', scope: ['read'], userCodeHash: hashTokenValue(generateTokenValue()), issuedAt: now, expiresAt: now + 600, interval: 5 };
    await store.saveDeviceCode(hashTokenValue(generateTokenValue()), record, quotas);
    const inspector = new Redis(redis.url);
    try {
      const keys = (await inspector.keys('quota-layout:{quota}:*')).sort();
      expect(keys).toEqual(quotas.map(({ key }) => `quota-layout:{quota}:${key}`).sort());
      for (const key of keys) {
        expect(key).toMatch(/^quota-layout:\{quota\}:[A-Za-z0-9_-]{43}$/);
        const ttl = await inspector.ttl(key);
        // Kept as long as the request is: its lifetime and the 600 s of expired_token answers.
        expect(ttl).toBeGreaterThan(1190);
        expect(ttl).toBeLessThanOrEqual(1200);
        expect(key + JSON.stringify(await inspector.zrange(key, '0', '-1'))).not.toContain(address);
      }
    } finally {
      inspector.disconnect();
      await store.close();
    }
  });

  test('refuses a key prefix with braces, which would replace the grant hash tag', () => {
    expect(() => redisStore({ url: redis.url, keyPrefix: '{oauth}:' })).toThrow(/keyPrefix/);
  });

  test('uses a client the host app owns and leaves it open on close', async () => {
    const client = new Redis(redis.url);
    const store = redisStore({ client });
    await store.ping();
    await store.close();
    await expect(client.ping()).resolves.toBe('PONG');
    client.disconnect();
  });

  test('rejects with temporarily_unavailable when Redis cannot be reached, and never resolves a guess', async () => {
    const store = redisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 });
    try {
      await expect(store.findAccessToken(hashTokenValue('x'))).rejects.toBeInstanceOf(TemporarilyUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    } finally {
      await store.close();
    }
  });

  test('limit state of an unreachable Redis rejects with temporarily_unavailable', async () => {
    const store = redisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 });
    try {
      const key = { group: 'g', key: 'k' };
      await expect(store.attempts?.read([key], [key])).rejects.toBeInstanceOf(TemporarilyUnavailableError);
      await expect(store.attempts?.countFailure([{ ...key, limit: { points: 1, durationSeconds: 60, blockSeconds: 60 } }])).rejects.toBeInstanceOf(TemporarilyUnavailableError);
      await expect(store.attempts?.markKnown(key, 60)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    } finally {
      await store.close();
    }
  });

  test('refuses options without a url or a client, and urls of other schemes', () => {
    expect(() => redisStore({})).toThrow(/url.*client/);
    expect(() => redisStore({ url: 'http://127.0.0.1:6379' })).toThrow(/redis:\/\/ or rediss:\/\//);
  });

  test('refuses a limit that is not a positive whole number, before connecting', () => {
    expect(() => redisStore({ url: redis.url, commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
    expect(() => redisStore({ url: redis.url, commandTimeoutMs: 1.5 })).toThrow(/commandTimeoutMs/);
  });
});

// After the store's own tests: ioredis destroys the socket of a store closed while it could not
// connect only after disconnectTimeout, and the contract's slower tests leave it that time.
redisStoreContract('redis', () => ({ url: redis.url }));
