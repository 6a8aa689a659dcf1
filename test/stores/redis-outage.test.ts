import { Redis } from 'ioredis';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { redisStore } from '../../lib/stores/redis/store';
import type { Store } from '../../lib/stores/store';
import { generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';
import { eventually } from '../helpers/eventually';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { SLACK_MS } from '../helpers/slack';
import { storeReachable } from '../helpers/store-reachable';
import { systemNow } from './redis-contract';

const LIMIT_MS = 300;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

/** A host app's own client, with every ioredis default: offline queue on, no command timeout. */
function defaultClient(): Redis {
  const client = new Redis(redis.url, { retryStrategy: () => 100 });
  client.on('error', () => {});
  return client;
}

async function saveOne(store: Store): Promise<string> {
  const hash = hashTokenValue(generateTokenValue());
  const now = systemNow();
  await store.saveAccessToken(hash, { clientId: 'c', scope: ['read'], issuedAt: now, expiresAt: now + 300 });
  return hash;
}

/** Resolves with how long `operation` took to reject, failing the test if it resolved. */
async function rejectionTime(operation: Promise<unknown>): Promise<number> {
  const started = Date.now();
  await expect(operation).rejects.toBeInstanceOf(TemporarilyUnavailableError);
  return Date.now() - started;
}

describe.each([
  ['a connection made from a URL', () => ({ store: redisStore({ url: redis.url, commandTimeoutMs: LIMIT_MS }), client: undefined })],
  ['a client with ioredis defaults', () => {
    const client = defaultClient();
    return { store: redisStore({ client, commandTimeoutMs: LIMIT_MS }), client };
  }],
])('a hung Redis (it keeps the connection but answers nothing), with %s', (_name, make) => {
  test('is reported unavailable within the limit, and answers resume when it does', async () => {
    const { store, client } = make();
    try {
      await storeReachable(store);
      const hash = await saveOne(store);
      redis.pause();
      try {
        expect(await rejectionTime(store.findAccessToken(hash))).toBeLessThan(LIMIT_MS + SLACK_MS);
        expect(await rejectionTime(store.ping())).toBeLessThan(LIMIT_MS + SLACK_MS);
      } finally {
        redis.resume();
      }
      await eventually('answers to resume', async () => (await store.findAccessToken(hash)) !== undefined);
    } finally {
      await store.close();
      client?.disconnect();
    }
  });
});

test('while Redis is down, every operation fails at once and nothing queues in a client that has an offline queue', async () => {
  const client = defaultClient();
  const store = redisStore({ client, commandTimeoutMs: LIMIT_MS });
  try {
    await storeReachable(store);
    const hash = await saveOne(store);
    await redis.kill();
    await eventually('the client to notice', async () => client.status !== 'ready');

    // A revocation that could not be written is a failure, never a success.
    const operations = [() => store.findAccessToken(hash), () => store.revokeAccessToken(hash), () => saveOne(store), () => store.ping()];
    const times = await Promise.all(Array.from({ length: 200 }, (_, i) => rejectionTime(operations[i % operations.length]())));
    expect(Math.max(...times)).toBeLessThan(LIMIT_MS + SLACK_MS);
    // ioredis keeps commands sent while disconnected in `offlineQueue`; the store sends none.
    expect((client as unknown as { offlineQueue: { length: number } }).offlineQueue.length).toBe(0);

    await redis.restart();
    // No persistence here: the restarted server is empty, and says so.
    await eventually('service to resume', async () => (await store.findAccessToken(hash)) === undefined);
  } finally {
    await store.close();
    client.disconnect();
  }
});

test('a lazy client the host app has not connected yet is connected by the store', async () => {
  const client = new Redis(redis.url, { lazyConnect: true });
  const store = redisStore({ client, commandTimeoutMs: 2000 });
  try {
    await expect(store.ping()).resolves.toBeUndefined();
  } finally {
    client.disconnect();
  }
});
