import { secondsToLive, type PushedRequestRecord, type Store } from '../store';
import type { RedisOAuthSettings } from './oauth';
import { redisQuotas } from './quotas';
import { evalScript } from './scripts';

/** The Store operations of pushed authorization requests (RFC 9126), over Redis. */
export type RedisPushedRequestOperations = Pick<Store, 'savePushedRequest' | 'takePushedRequest'>;

/** KEYS: the pushed request. ARGV: the client id. RFC 9126 §4: used once, and only by the client that pushed it. */
const TAKE_PUSHED_REQUEST = `
local value = redis.call('GET', KEYS[1])
if not value or cjson.decode(value).clientId ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return value
`;

/** Key: `<prefix>par:<digest of the request_uri>` → JSON, expiring with the request. One key per operation. */
export function redisPushedRequestOperations(settings: RedisOAuthSettings): RedisPushedRequestOperations {
  const { client, keyPrefix, clock, run } = settings;
  const quotas = redisQuotas(settings);
  const pushedKey = (uriHash: string) => `${keyPrefix}par:${uriHash}`;

  return {
    async savePushedRequest(uriHash, record, quotaList = []) {
      await quotas.admit(quotaList, uriHash, record.expiresAt, true);
      await run(() => client.set(pushedKey(uriHash), JSON.stringify(record), 'EX', secondsToLive(record, clock())));
    },
    async takePushedRequest(uriHash, clientId) {
      const value = (await run(() => evalScript(client, TAKE_PUSHED_REQUEST, [pushedKey(uriHash)], [clientId]))) as string | null;
      if (value === null) return undefined;
      await quotas.release(uriHash);
      return JSON.parse(value) as PushedRequestRecord;
    },
  };
}
