import { uniqueKeyPrefix } from '../helpers/stores';
import { redisStore, type RedisStoreOptions } from '../../lib/stores/redis/store';
import { storeContract } from './store-contract';

export const systemNow = () => Math.floor(Date.now() / 1000);

/**
 * The store contract on one Redis deployment (single server, Cluster, Sentinel): `connection`
 * gives the `url` or `client` to use. Each test gets its own key prefix, so tests never see one
 * another's keys, and Redis expires keys on its own clock, so `advance` waits for real.
 */
export function redisStoreContract(name: string, connection: () => Pick<RedisStoreOptions, 'url' | 'client'>) {
  storeContract(
    name,
    async () => ({
      store: redisStore({ ...connection(), keyPrefix: uniqueKeyPrefix() }),
      now: systemNow,
      advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 100)),
    }),
    async ({ store }) => store.close(),
  );
}
