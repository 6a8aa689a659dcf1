import {
  EXPIRED_DEVICE_CODE_MEMORY_SECONDS,
  SLOW_DOWN_SECONDS,
  type DeviceCodeRecord,
  type DevicePoll,
  type Store,
} from '../store';
import type { RedisOAuthSettings } from './oauth';
import { redisQuotas } from './quotas';
import { evalScript } from './scripts';

/** The Store operations of the device authorization grant (RFC 8628), over Redis. */
export type RedisDeviceOperations = Pick<Store, 'saveDeviceCode' | 'findDeviceCodeByUserCode' | 'decideDeviceCode' | 'pollDeviceCode'>;

/** KEYS: the device request. ARGV: record, interval, ttl, client id. */
const SAVE_DEVICE = `
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'status', 'pending', 'interval', ARGV[2], 'client', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
`;

/** KEYS: the device request. ARGV: new status, decision JSON. Only a pending request is decided. */
const DECIDE_DEVICE = `
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'decision', ARGV[2])
return 1
`;

/**
 * KEYS: the device request. ARGV: now, slow-down step, client id. RFC 8628 §3.5: a pending
 * request polled within its interval of the previous poll is slow_down, and its interval grows;
 * an approved one is handed out once. Another client's poll changes nothing. Returns { record,
 * status before the poll, current interval, decision }.
 */
const POLL_DEVICE = `
local f = redis.call('HMGET', KEYS[1], 'record', 'status', 'interval', 'polled', 'decision', 'client')
if not f[1] or f[6] ~= ARGV[3] then return false end
local now, status, interval = tonumber(ARGV[1]), f[2], tonumber(f[3])
redis.call('HSET', KEYS[1], 'polled', now)
if status == 'approved' then
  redis.call('HSET', KEYS[1], 'status', 'used')
elseif status == 'pending' and f[4] and now - tonumber(f[4]) < interval then
  interval = interval + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'interval', interval)
  status = 'slow_down'
end
return { f[1], status, interval, f[5] or '' }
`;

/**
 * Keys: `<prefix>device:<digest>` (a hash: record, status, interval, polled, decision, client) and
 * `<prefix>uc:<digest of the user code>` → the device code digest. Each operation touches one
 * key at a time, so they work on a Redis Cluster without hash tags.
 */
export function redisDeviceOperations(settings: RedisOAuthSettings): RedisDeviceOperations {
  const { client, keyPrefix, clock, run, evalRecorded } = settings;
  const quotas = redisQuotas(settings);
  const deviceKey = (deviceCodeHash: string) => `${keyPrefix}device:${deviceCodeHash}`;
  const userCodeKey = (userCodeHash: string) => `${keyPrefix}uc:${userCodeHash}`;
  const ttl = (record: DeviceCodeRecord) => Math.max(1, record.expiresAt + EXPIRED_DEVICE_CODE_MEMORY_SECONDS - clock());

  return {
    async saveDeviceCode(deviceCodeHash, record, quotaList = []) {
      // Counted first: a refused request claims no user code. A retry after a user code
      // collision has the same device code, which the quotas count once.
      await quotas.admit(quotaList, deviceCodeHash, record.expiresAt + EXPIRED_DEVICE_CODE_MEMORY_SECONDS, false);
      // NX: a user code names one request at a time.
      const claimed = await run(() => client.set(userCodeKey(record.userCodeHash), deviceCodeHash, 'EX', ttl(record), 'NX'));
      if (claimed === null) return false;
      await run(() => evalScript(client, SAVE_DEVICE, [deviceKey(deviceCodeHash)], [JSON.stringify(record), record.interval, ttl(record), record.clientId]));
      return true;
    },
    async findDeviceCodeByUserCode(userCodeHash) {
      const deviceCodeHash = await run(() => client.get(userCodeKey(userCodeHash)));
      if (deviceCodeHash === null) return undefined;
      const [record, status] = await run(() => client.hmget(deviceKey(deviceCodeHash), 'record', 'status'));
      if (record === null || status !== 'pending') return undefined;
      return { deviceCodeHash, record: JSON.parse(record) as DeviceCodeRecord };
    },
    async decideDeviceCode(deviceCodeHash, decision) {
      const status = decision.approved ? 'approved' : 'denied';
      return (await evalRecorded(DECIDE_DEVICE, [deviceKey(deviceCodeHash)], [status, JSON.stringify(decision)])) === 1;
    },
    async pollDeviceCode(deviceCodeHash, clientId, now) {
      const found = (await evalRecorded(POLL_DEVICE, [deviceKey(deviceCodeHash)], [now, SLOW_DOWN_SECONDS, clientId])) as [string, string, number, string] | null;
      if (found === null) return undefined;
      const [json, status, interval, decision] = found;
      const record: DeviceCodeRecord = { ...(JSON.parse(json) as DeviceCodeRecord), interval };
      if (status === 'approved') return { record, status, decision: JSON.parse(decision) };
      return { record, status } as DevicePoll;
    },
  };
}
