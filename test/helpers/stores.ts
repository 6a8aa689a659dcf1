import type { Store } from '../../lib/stores/store';
import { memoryStore } from '../../lib/stores/memory/store';
import { redisStore } from '../../lib/stores/redis/store';
import type { Clock } from '../../lib/clock';
import { startRedisServer, type RedisServer } from './redis-server';

export type StoreKind = 'memory' | 'redis';

/** A key prefix no other store of the test run uses, so that stores sharing one Redis never see each other's keys. */
export const uniqueKeyPrefix = (): string => `t${Math.random().toString(36).slice(2)}:`;
export const STORE_KINDS: StoreKind[] = ['memory', 'redis'];

/** Makes a store of a kind; a Redis store with its own key prefix unless `keyPrefix` names one to share. */
export type StoreMaker = (kind: StoreKind, clock?: Clock, keyPrefix?: string) => Store;

/**
 * For test files that run the same endpoint tests on both stores: starts one private Redis
 * for the file and makes a fresh store (its own key prefix) per call, closed after the file.
 * A `clock` is the memory store's; Redis expires keys on its own clock, so expiry tests move
 * the server's clock, which every grant checks. Redis stores given the same `keyPrefix` share
 * their data, as instances of one server do (`twoInstances`).
 */
export function useStores(): StoreMaker {
  let redis: RedisServer | undefined;
  const made: Store[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all(made.map((store) => store.close()));
    await redis?.stop();
  });
  return (kind, clock, keyPrefix = uniqueKeyPrefix()) => {
    const store =
      kind === 'memory'
        ? memoryStore({ clock })
        : redisStore({ url: (redis as RedisServer).url, keyPrefix, clock });
    made.push(store);
    return store;
  };
}
