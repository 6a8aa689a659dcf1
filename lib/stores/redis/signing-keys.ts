import type { SigningKeyStore, StoredSigningKey } from '../store';
import type { RedisOAuthSettings } from './oauth';

/**
 * KEYS: the set's hash { version, keys }. ARGV: the expected version, the keys (JSON), the ttl.
 * One script on one key: of two instances replacing the same version, one wins.
 */
const REPLACE = `
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', version + 1, 'keys', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * The generated signing keys in one Redis hash, `<prefix>signing-keys` { version, keys: JSON }:
 * private keys, kept only when the host app opted in (`signingKeys.keepPrivateKeysInStore`).
 * A replacement is recorded as durably as the store's other writes that must not be lost.
 */
export function redisSigningKeyStore({ client, keyPrefix, run, evalRecorded }: Pick<RedisOAuthSettings, 'client' | 'keyPrefix' | 'run' | 'evalRecorded'>): SigningKeyStore {
  const key = `${keyPrefix}signing-keys`;
  return {
    inProcess: false,
    async read() {
      const [version, keys] = await run(() => client.hmget(key, 'version', 'keys'));
      if (version === null || keys === null) return { version: 0, keys: [] };
      return { version: Number(version), keys: JSON.parse(keys) as StoredSigningKey[] };
    },
    async replace(expectedVersion, keys, ttlSeconds) {
      return (await evalRecorded(REPLACE, [key], [expectedVersion, JSON.stringify(keys), Math.max(1, Math.ceil(ttlSeconds))])) === 1;
    },
  };
}
