import { memoryStore } from '../../lib/stores/memory';
import { redisStore } from '../../lib/stores/redis';
import type { Store } from '../../lib/stores/store';
import type { Clock } from '../../lib/clock';
import { startRedisServer, type RedisServer } from './redis-server';

/**
 * Runs the same tests against the memory store and a private Redis. `makeStore` gives the
 * memory store the test's clock; Redis expires keys on its own clock, so expiry tests move the
 * server's clock, which every grant checks.
 */
export function describeEachStore(title: string, body: (makeStore: (clock: Clock) => Store) => void): void {
  describe.each(['memory', 'redis'] as const)(`${title} (%s store)`, (kind) => {
    let redis: RedisServer | undefined;
    const stores: Store[] = [];
    beforeAll(async () => {
      if (kind === 'redis') redis = await startRedisServer();
    });
    afterAll(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await redis?.stop();
    });
    body((clock) => {
      // Each Redis store gets keys of its own, so that tests sharing the server stay apart.
      const keyPrefix = `t${stores.length}:`;
      const store = kind === 'memory' ? memoryStore({ clock }) : redisStore({ url: (redis as RedisServer).url, keyPrefix, clock });
      stores.push(store);
      return store;
    });
  });
}
