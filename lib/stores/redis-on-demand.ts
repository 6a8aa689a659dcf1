import type { Store } from './store';
import type { RedisStoreOptions } from './redis/store';

/**
 * The Redis store (see `./redis/store`), whose modules and ioredis are loaded at its first call:
 * an app on the memory store never loads them (ioredis alone is about 1 MB of heap).
 */
export function redisStore(options: RedisStoreOptions): Store {
  const { redisStore: connectedStore } = require('./redis/store') as typeof import('./redis/store');
  return connectedStore(options);
}
