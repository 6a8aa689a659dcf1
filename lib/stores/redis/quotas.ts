import { QuotaExceededError } from '../../errors';
import type { RedisOAuthSettings } from './oauth';
import type { Quota } from '../store';
import { evalScript } from './scripts';

/**
 * KEYS: the id's index (the quota keys it counts under), then one sorted set per quota (member:
 * a counted id, score: when it stops counting). ARGV: id, now, forgetAt, ttl, whether to index
 * ('1' or '0'), then each quota's max. Prunes what no longer counts; refuses, counting nothing,
 * when a quota already counts `max` other ids (returning the seconds until its oldest one goes);
 * otherwise counts the id everywhere and returns 0.
 */
const ADMIT = `
local id, now, forgetAt, ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
for i = 2, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if not redis.call('ZSCORE', KEYS[i], id) and redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[i + 4]) then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    return tonumber(oldest[2]) - now
  end
end
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], forgetAt, id)
  if redis.call('TTL', KEYS[i]) < ttl then redis.call('EXPIRE', KEYS[i], ttl) end
  if ARGV[5] == '1' then redis.call('SADD', KEYS[1], KEYS[i]) end
end
if ARGV[5] == '1' then redis.call('EXPIRE', KEYS[1], ttl) end
return 0
`;

/** KEYS: the id's index, then the quota keys it names. ARGV: the id. */
const RELEASE = `
for i = 2, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
redis.call('DEL', KEYS[1])
`;

export interface RedisQuotas {
  /**
   * Counts `id` under every quota until `forgetAt`, or rejects with `QuotaExceededError`,
   * counting nothing. `releasable`: remember its quotas so that `release` can uncount it.
   */
  admit(quotas: readonly Quota[], id: string, forgetAt: number, releasable: boolean): Promise<void>;
  /** Stops counting an id admitted as releasable, whose record is gone. */
  release(id: string): Promise<void>;
  /** Stops counting an id admitted under `quotas` whose save was refused (the store was full). */
  uncount(quotas: readonly Quota[], id: string): Promise<void>;
}

/**
 * Keys: `<prefix>{quota}:<quota key>` (a sorted set) and `<prefix>{quota}:of:<id>` (a set of
 * quota keys). Quota keys are digests (`quotaKey`); every key expires with the last id it
 * counts. The `{quota}` hash tag puts them all in one Redis Cluster slot, so that one script
 * checks and counts every quota of a request atomically. That script runs just before the save,
 * not inside it: on a Cluster the record's keys are in other slots. A save that then fails
 * leaves its id counted until `forgetAt`, which errs on the side of the bound.
 */
export function redisQuotas({ client, keyPrefix, clock, run }: RedisOAuthSettings): RedisQuotas {
  const quotaPrefix = `${keyPrefix}{quota}:`;
  const indexKey = (id: string) => `${quotaPrefix}of:${id}`;

  return {
    async admit(quotas, id, forgetAt, releasable) {
      if (quotas.length === 0) return;
      const now = clock();
      const keys = [indexKey(id), ...quotas.map(({ key }) => quotaPrefix + key)];
      const args = [id, now, forgetAt, Math.max(1, forgetAt - now), releasable ? '1' : '0', ...quotas.map(({ max }) => max)];
      const waitSeconds = (await run(() => evalScript(client, ADMIT, keys, args))) as number;
      if (waitSeconds > 0) throw new QuotaExceededError(waitSeconds);
    },
    async release(id) {
      const quotaKeys = await run(() => client.smembers(indexKey(id)));
      if (quotaKeys.length > 0) await run(() => evalScript(client, RELEASE, [indexKey(id), ...quotaKeys], [id]));
    },
    async uncount(quotas, id) {
      await Promise.all(quotas.map(({ key }) => run(() => client.zrem(quotaPrefix + key, id))));
    },
  };
}
