import type { Store } from '../../lib/stores/store';
import { memoryStore } from '../../lib/stores/memory';
import { redisStore } from '../../lib/stores/redis';
import { startRedisServer, type RedisServer } from './redis-server';

export type StoreKind = 'memory' | 'redis';
export const STORE_KINDS: StoreKind[] = ['memory', 'redis'];

/**
 * For test files that run the same endpoint tests on both stores: starts one private Redis
 * for the file and makes a fresh store (its own key prefix) per call.
 */
export function useStores(): (kind: StoreKind) => Store {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return (kind) =>
    kind === 'memory'
      ? memoryStore()
      : redisStore({ url: (redis as RedisServer).url, keyPrefix: `t${Math.random().toString(36).slice(2)}:` });
}
