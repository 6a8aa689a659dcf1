import { Redis } from 'ioredis';
import { redisStore } from '../../lib/stores/redis/store';
import type { Store } from '../../lib/stores/store';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';
import { eventually } from '../helpers/eventually';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { systemNow } from './redis-contract';

/** The README's bound: a revocation is seen by every cached instance within `maxStalenessMs`. */
const MAX_STALENESS_MS = 1000;

let redis: RedisServer;
let inspector: Redis;
const opened: Store[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
  inspector = new Redis(redis.url);
});
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  inspector.disconnect();
  await redis.stop();
});

/** Two app instances' stores on one Redis: `cached` with the cache, `other` without. */
function instances(cache: { maxEntries?: number } = {}, clock?: () => number): { cached: Store; other: Store } {
  const keyPrefix = `c${Math.random().toString(36).slice(2)}:`;
  const cached = redisStore({ url: redis.url, keyPrefix, cache: { maxStalenessMs: MAX_STALENESS_MS, ...cache }, clock });
  const other = redisStore({ url: redis.url, keyPrefix });
  opened.push(cached, other);
  return { cached, other };
}

async function getCalls(): Promise<number> {
  const stats = await inspector.info('commandstats');
  return Number(/^cmdstat_get:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

/** How many GETs Redis ran for `work`. */
async function getsDuring(work: () => Promise<unknown>): Promise<number> {
  const before = await getCalls();
  await work();
  return (await getCalls()) - before;
}

/** Reads `hash` until it is served from memory (tracking is on once the connections are up). */
async function cachedIn(store: Store, hash: string): Promise<void> {
  await eventually('the token to be served from the cache', async () => {
    await store.findAccessToken(hash);
    return (await getsDuring(() => store.findAccessToken(hash))) === 0;
  }, 5000);
}

/** Polls every 2 ms until `store` no longer finds `hash`; returns the milliseconds it took. */
async function msUntilRefused(store: Store, hash: string): Promise<number> {
  const started = performance.now();
  while ((await store.findAccessToken(hash)) !== undefined) {
    if (performance.now() - started > 5 * MAX_STALENESS_MS) throw new Error('the revoked token is still served');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - started;
}

function newToken(store: Store, lifetime = 300): Promise<string> {
  const hash = hashTokenValue(generateTokenValue());
  const now = systemNow();
  return store.saveAccessToken(hash, { clientId: 'c', scope: ['read'], issuedAt: now, expiresAt: now + lifetime }).then(() => hash);
}

async function newGrant(store: Store): Promise<{ grantId: string; accessHash: string; refreshHash: string }> {
  const grantId = generateGrantId();
  const accessHash = hashTokenValue(generateTokenValue('', grantId));
  const refreshHash = hashTokenValue(generateTokenValue('', grantId));
  const now = systemNow();
  const record = { clientId: 'c', scope: ['read'], sub: 'alice', grantId, issuedAt: now, expiresAt: now + 300 };
  await store.saveGrantTokens({
    grantId,
    accessToken: { hash: accessHash, record },
    refreshToken: { hash: refreshHash, record: { ...record, grantExpiresAt: now + 900 } },
  });
  return { grantId, accessHash, refreshHash };
}

describe('redis store token cache (CLIENT TRACKING)', () => {
  test('serves a token it has read before without a Redis command', async () => {
    const { cached } = instances();
    const hash = await newToken(cached);
    await cachedIn(cached, hash);
    expect(await getsDuring(async () => {
      for (let i = 0; i < 50; i += 1) expect((await cached.findAccessToken(hash))?.clientId).toBe('c');
    })).toBe(0);
  });

  test('a token revoked through another instance is refused within maxStalenessMs', async () => {
    const { cached, other } = instances();
    const hash = await newToken(other);
    await cachedIn(cached, hash);
    expect(await other.revokeAccessToken(hash)).toBe(true);
    expect(await msUntilRefused(cached, hash)).toBeLessThan(MAX_STALENESS_MS);
  });

  test('revoking the grant elsewhere reaches its cached access token', async () => {
    const { cached, other } = instances();
    const { grantId, accessHash } = await newGrant(other);
    await cachedIn(cached, accessHash);
    await other.revokeGrant(grantId);
    expect(await msUntilRefused(cached, accessHash)).toBeLessThan(MAX_STALENESS_MS);
  });

  test('refresh token reuse elsewhere revokes the cached access token of the rotation', async () => {
    const { cached, other } = instances();
    const { grantId, refreshHash } = await newGrant(other);
    const accessHash = hashTokenValue(generateTokenValue('', grantId));
    const now = systemNow();
    const record = { clientId: 'c', scope: ['read'], sub: 'alice', grantId, issuedAt: now, expiresAt: now + 300 };
    const tokens = { grantId, accessToken: { hash: accessHash, record } };
    expect(await other.rotateRefreshToken(refreshHash, tokens, 0)).toBe('rotated');
    await cachedIn(cached, accessHash);
    expect(await other.rotateRefreshToken(refreshHash, { ...tokens, accessToken: { hash: hashTokenValue(generateTokenValue('', grantId)), record } }, 0)).toBe('reused');
    expect(await msUntilRefused(cached, accessHash)).toBeLessThan(MAX_STALENESS_MS);
  });

  test('a token expired by Redis (EX) is refused, and memory never answers past expiresAt', async () => {
    let now = systemNow();
    const { cached, other } = instances({}, () => now);
    const hash = await newToken(other, 1);
    await cachedIn(cached, hash);
    // Past expiresAt by the store's clock: memory no longer answers, Redis is asked.
    now += 1;
    expect(await getsDuring(() => cached.findAccessToken(hash))).toBe(1);
    now = systemNow();
    // Redis expires the key on its own clock, and tells the cache.
    expect(await msUntilRefused(cached, hash)).toBeLessThan(1000 + 2 * MAX_STALENESS_MS);
  });

  test('losing the invalidation connection flushes the cache and bypasses it until tracking is back', async () => {
    const { cached } = instances();
    const hash = await newToken(cached);
    await cachedIn(cached, hash);
    // Every subscriber of this file's Redis is a cache's: cut them, then delete while none listens.
    await inspector.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const key = (await inspector.keys(`*at:${hash}`))[0];
    await inspector.del(key);
    // Well before a reconnection (100 ms) or a missed heartbeat could tell it.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await cached.findAccessToken(hash)).toBeUndefined();
    // Back to a tracked cache, which refuses the deleted token and caches a new one.
    const fresh = await newToken(cached);
    await cachedIn(cached, fresh);
    expect(await cached.findAccessToken(hash)).toBeUndefined();
  });

  test('losing the reading connection flushes the cache too', async () => {
    const { cached } = instances();
    const hash = await newToken(cached);
    await cachedIn(cached, hash);
    const readers = (await inspector.client('LIST')) as string;
    const tracked = [...readers.matchAll(/^id=(\d+) .*flags=t/gm)].map((match) => match[1]);
    await Promise.all(tracked.map((id) => inspector.call('CLIENT', 'KILL', 'ID', id)));
    await inspector.del((await inspector.keys(`*at:${hash}`))[0]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await cached.findAccessToken(hash)).toBeUndefined();
  });

  test('concurrent reads and revocations never leave a revoked token in memory', async () => {
    const { cached, other } = instances();
    const hashes = await Promise.all(Array.from({ length: 200 }, () => newToken(other)));
    await cachedIn(cached, hashes[0]);
    await Promise.all(hashes.map((hash) => Promise.all([cached.findAccessToken(hash), other.revokeAccessToken(hash)])));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const served = await Promise.all(hashes.map((hash) => cached.findAccessToken(hash)));
    expect(served.filter((record) => record !== undefined)).toEqual([]);
  });

  test('a revocation that overtakes the answer of a read keeps that answer out of memory', async () => {
    const { cached, other } = instances();
    await cachedIn(cached, await newToken(cached));
    // A large record: its answer takes a while to arrive, while the small invalidation of the
    // deletion sent right after it comes over the other connection first.
    const now = systemNow();
    const record = { clientId: 'c', scope: ['read'], sub: 'x'.repeat(8_000_000), issuedAt: now, expiresAt: now + 300 };
    let readBeforeRevoked = 0;
    for (let i = 0; i < 10; i += 1) {
      const hash = hashTokenValue(generateTokenValue());
      await other.saveAccessToken(hash, record);
      const [found] = await Promise.all([cached.findAccessToken(hash), other.revokeAccessToken(hash)]);
      if (found !== undefined) readBeforeRevoked += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await cached.findAccessToken(hash)) === undefined).toBe(true);
    }
    expect(readBeforeRevoked).toBeGreaterThan(0);
  });

  test('keeps at most maxEntries records, dropping the least recently used', async () => {
    const { cached } = instances({ maxEntries: 3 });
    const hashes = await Promise.all(Array.from({ length: 5 }, () => newToken(cached)));
    await cachedIn(cached, hashes[0]);
    for (const hash of hashes) await cached.findAccessToken(hash);
    expect(await getsDuring(async () => {
      for (const hash of hashes.slice(2)) await cached.findAccessToken(hash);
    })).toBe(0);
    expect(await getsDuring(() => cached.findAccessToken(hashes[0]))).toBe(1);
  });

  test('does not cache unknown tokens', async () => {
    const { cached } = instances();
    const known = await newToken(cached);
    await cachedIn(cached, known);
    const unknown = hashTokenValue(generateTokenValue());
    expect(await getsDuring(async () => {
      for (let i = 0; i < 3; i += 1) expect(await cached.findAccessToken(unknown)).toBeUndefined();
    })).toBe(3);
  });

  test('needs a url, and whole positive numbers', () => {
    const client = new Redis(redis.url, { lazyConnect: true });
    expect(() => redisStore({ client, cache: {} })).toThrow(/`cache` needs `url`/);
    expect(() => redisStore({ url: redis.url, cache: { maxEntries: 0 } })).toThrow(/cache.maxEntries/);
    expect(() => redisStore({ url: redis.url, cache: { maxStalenessMs: 1.5 } })).toThrow(/cache.maxStalenessMs/);
  });
});

describe('redis store token cache while Redis hangs', () => {
  let hung: RedisServer;
  beforeAll(async () => {
    hung = await startRedisServer();
  });
  afterAll(async () => {
    hung.resume();
    await hung.stop();
  });

  test('stops answering from memory within maxStalenessMs, then fails closed', async () => {
    const store = redisStore({ url: hung.url, commandTimeoutMs: 300, cache: { maxStalenessMs: 200 } });
    try {
      const hash = await newToken(store);
      await eventually('tracking to start', async () => (await store.findAccessToken(hash)) !== undefined && (await store.findAccessToken(hash)) !== undefined, 5000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await store.findAccessToken(hash);
      hung.pause();
      const paused = performance.now();
      let servedFor = 0;
      let served = 0;
      for (;;) {
        const outcome = await store.findAccessToken(hash).catch((error: unknown) => error);
        if (outcome instanceof TemporarilyUnavailableError) break;
        expect(outcome).toBeDefined();
        served += 1;
        servedFor = performance.now() - paused;
        if (servedFor > 5000) throw new Error('still served from memory');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(served).toBeGreaterThan(0);
      expect(servedFor).toBeLessThanOrEqual(200);
    } finally {
      hung.resume();
      await store.close();
    }
  });
});
