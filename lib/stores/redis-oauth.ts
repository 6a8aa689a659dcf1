import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../clock';
import {
  consentKey,
  grantIdOfTokenHash,
  REVOKED_GRANT_MEMORY_SECONDS,
  secondsToLive,
  type AuthorizationCodeRecord,
  type TransactionRecord,
  type ConsentRecord,
  type GrantTokens,
  type RefreshTokenRecord,
  type RotationResult,
  type Store,
} from './store';
import type { RedisDeviceOperations } from './redis-device';
import { redisQuotas } from './redis-quotas';

/** The Store operations of the authorization code and refresh token grants, over Redis. */
export type RedisOAuthOperations = Omit<
  Store,
  'saveAccessToken' | 'findAccessToken' | 'revokeAccessToken' | 'ping' | 'close' | keyof RedisDeviceOperations
>;

export interface RedisOAuthSettings {
  client: Redis | Cluster;
  keyPrefix: string;
  clock: Clock;
  /** Runs a command, turning any failure into `TemporarilyUnavailableError`. */
  run<T>(command: () => Promise<T>): Promise<T>;
}

/**
 * Key of a token: `<prefix>{<grantId>}:<kind>:<digest>` for a grant-bound hash, so that it
 * shares the hash slot of its grant; `<prefix><kind>:<hash>` otherwise. See redis.ts.
 */
export function tokenKey(keyPrefix: string, kind: 'at' | 'rt', tokenHash: string): string {
  const grantId = grantIdOfTokenHash(tokenHash);
  if (grantId === undefined) return `${keyPrefix}${kind}:${tokenHash}`;
  return `${grantPrefix(keyPrefix, grantId)}${kind}:${tokenHash.slice(grantId.length + 1)}`;
}

function grantPrefix(keyPrefix: string, grantId: string): string {
  return `${keyPrefix}{${grantId}}:`;
}

/*
 * Shared by the two scripts that save tokens. KEYS[2] is the grant's token set; KEYS from
 * `first` on are the access token key and, maybe, the refresh token key; ARGV from 2 on holds
 * (value, ttl) pairs for them. A refresh token is a hash { record, rotated }.
 */
const SAVE_TOKENS = `
local function save(first)
  for i = first, #KEYS do
    local value, ttl = ARGV[(i - first) * 2 + 2], tonumber(ARGV[(i - first) * 2 + 3])
    if i == first then
      redis.call('SET', KEYS[i], value, 'EX', ttl)
    else
      redis.call('HSET', KEYS[i], 'record', value, 'rotated', '0')
      redis.call('EXPIRE', KEYS[i], ttl)
    end
    redis.call('SADD', KEYS[2], KEYS[i])
    if redis.call('TTL', KEYS[2]) < ttl then redis.call('EXPIRE', KEYS[2], ttl) end
  end
end
`;

/** KEYS: revoked marker, token set, access token[, refresh token]. */
const SAVE_GRANT_TOKENS = `${SAVE_TOKENS}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
save(3)
return 1
`;

/** KEYS: revoked marker, token set, presented refresh token, access token[, refresh token]; ARGV[1]: marker ttl. */
const ROTATE_REFRESH_TOKEN = `${SAVE_TOKENS}
if redis.call('EXISTS', KEYS[1]) == 1 then return 'unknown' end
local rotated = redis.call('HGET', KEYS[3], 'rotated')
if not rotated then return 'unknown' end
if rotated == '1' then
  redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
  return 'reused'
end
redis.call('HSET', KEYS[3], 'rotated', '1')
save(4)
return 'rotated'
`;

/** KEYS: a code. Marks it used and returns { record, was it used before }. */
const USE_CODE = `
local record = redis.call('HGET', KEYS[1], 'record')
if not record then return false end
local used = redis.call('HGET', KEYS[1], 'used')
redis.call('HSET', KEYS[1], 'used', '1')
return { record, used }
`;

const SAVE_CODE = `
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'used', '0')
redis.call('EXPIRE', KEYS[1], ARGV[2])
`;

export function redisOAuthOperations(settings: RedisOAuthSettings): RedisOAuthOperations {
  const { client, keyPrefix, clock, run } = settings;
  const quotas = redisQuotas(settings);
  const revokedKey = (grantId: string) => `${grantPrefix(keyPrefix, grantId)}revoked`;
  const tokenSetKey = (grantId: string) => `${grantPrefix(keyPrefix, grantId)}tokens`;
  const codeKey = (codeHash: string) => `${keyPrefix}code:${codeHash}`;
  const transactionKey = (idHash: string) => `${keyPrefix}tx:${idHash}`;
  const consentRecordKey = (sub: string, clientId: string) => `${keyPrefix}consent:${consentKey(sub, clientId)}`;

  /** The keys and (value, ttl) arguments of the tokens to save, in the order SAVE_TOKENS reads them. */
  function tokenArguments({ accessToken, refreshToken }: GrantTokens): { keys: string[]; args: (string | number)[] } {
    const now = clock();
    const keys = [tokenKey(keyPrefix, 'at', accessToken.hash)];
    const args: (string | number)[] = [JSON.stringify(accessToken.record), secondsToLive(accessToken.record, now)];
    if (refreshToken !== undefined) {
      keys.push(tokenKey(keyPrefix, 'rt', refreshToken.hash));
      args.push(JSON.stringify(refreshToken.record), secondsToLive(refreshToken.record, now));
    }
    return { keys, args };
  }

  /** Deletes every token of a grant that is already marked revoked (so no new one can be added). */
  async function forgetGrantTokens(grantId: string): Promise<void> {
    const keys = await run(() => client.smembers(tokenSetKey(grantId)));
    await run(() => client.del(tokenSetKey(grantId), ...keys));
  }

  return {
    async saveAuthorizationCode(codeHash, record) {
      await run(() => client.eval(SAVE_CODE, 1, codeKey(codeHash), JSON.stringify(record), secondsToLive(record, clock())));
    },
    async useAuthorizationCode(codeHash) {
      const found = (await run(() => client.eval(USE_CODE, 1, codeKey(codeHash)))) as [string, string] | null;
      if (found === null) return undefined;
      return { record: JSON.parse(found[0]) as AuthorizationCodeRecord, alreadyUsed: found[1] === '1' };
    },

    async saveGrantTokens(tokens) {
      const { keys, args } = tokenArguments(tokens);
      const saved = await run(() =>
        client.eval(SAVE_GRANT_TOKENS, keys.length + 2, revokedKey(tokens.grantId), tokenSetKey(tokens.grantId), ...keys, REVOKED_GRANT_MEMORY_SECONDS, ...args),
      );
      return saved === 1;
    },
    async findRefreshToken(tokenHash) {
      const [record, rotated] = await run(() => client.hmget(tokenKey(keyPrefix, 'rt', tokenHash), 'record', 'rotated'));
      if (record === null) return undefined;
      return { record: JSON.parse(record) as RefreshTokenRecord, rotated: rotated === '1' };
    },
    async rotateRefreshToken(presentedHash, tokens) {
      // Rotation stays within the presented token's grant, so the script's keys share one Redis
      // Cluster slot (across two grants, a cluster refuses the script with CROSSSLOT).
      if (grantIdOfTokenHash(presentedHash) !== tokens.grantId) return 'unknown';
      const { keys, args } = tokenArguments(tokens);
      const result = (await run(() =>
        client.eval(
          ROTATE_REFRESH_TOKEN,
          keys.length + 3,
          revokedKey(tokens.grantId),
          tokenSetKey(tokens.grantId),
          tokenKey(keyPrefix, 'rt', presentedHash),
          ...keys,
          REVOKED_GRANT_MEMORY_SECONDS,
          ...args,
        ),
      )) as RotationResult;
      if (result === 'reused') await forgetGrantTokens(tokens.grantId);
      return result;
    },
    async revokeGrant(grantId) {
      await run(() => client.set(revokedKey(grantId), '1', 'EX', REVOKED_GRANT_MEMORY_SECONDS));
      await forgetGrantTokens(grantId);
    },

    async saveAuthorizationTransaction(idHash, record, quotaList = []) {
      await quotas.admit(quotaList, idHash, record.expiresAt, true);
      await run(() => client.set(transactionKey(idHash), JSON.stringify(record), 'EX', secondsToLive(record, clock())));
    },
    async takeAuthorizationTransaction(idHash) {
      const value = await run(() => client.getdel(transactionKey(idHash)));
      if (value === null) return undefined;
      await quotas.release(idHash);
      return JSON.parse(value) as TransactionRecord;
    },

    async saveConsent(sub, clientId, record) {
      await run(() => client.set(consentRecordKey(sub, clientId), JSON.stringify(record), 'EX', secondsToLive(record, clock())));
    },
    async findConsent(sub, clientId) {
      const value = await run(() => client.get(consentRecordKey(sub, clientId)));
      return value === null ? undefined : (JSON.parse(value) as ConsentRecord);
    },
  };
}
