import { grantIdOfTokenHash } from '../../tokens/token-value';
import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../../clock';
import {
  consentKey,
  REVOKED_GRANT_MEMORY_SECONDS,
  secondsToLive,
  type AuthorizationCodeRecord,
  type CodeExchangeResult,
  type TransactionRecord,
  type ConsentRecord,
  type GrantTokens,
  type RefreshTokenRecord,
  type RotationResult,
  type Store,
} from '../store';
import type { RedisDeviceOperations } from './device';
import type { RedisPushedRequestOperations } from './pushed-requests';
import { redisQuotas } from './quotas';
import { evalScript } from './scripts';

/** The Store operations of the authorization code and refresh token grants, over Redis. */
export type RedisOAuthOperations = Omit<
  Store,
  'saveAccessToken' | 'findAccessToken' | 'revokeAccessToken' | 'ping' | 'close' | keyof RedisDeviceOperations | keyof RedisPushedRequestOperations
>;

export interface RedisOAuthSettings {
  client: Redis | Cluster;
  keyPrefix: string;
  clock: Clock;
  /** Runs a command, turning any failure into `TemporarilyUnavailableError`. */
  run<T>(command: () => Promise<T>): Promise<T>;
  /** Runs a script that uses something up or revokes it, as durably as the store was asked to (durability.ts). */
  evalRecorded(script: string, keys: string[], args: (string | number)[]): Promise<unknown>;
}

/**
 * Key of a token or code: `<prefix>{<grantId>}:<kind>:<digest>` for a grant-bound hash, so
 * that it shares the hash slot of its grant; `<prefix><kind>:<hash>` otherwise. See store.ts.
 */
export function tokenKey(keyPrefix: string, kind: 'at' | 'rt' | 'code', tokenHash: string): string {
  const grantId = grantIdOfTokenHash(tokenHash);
  if (grantId === undefined) return `${keyPrefix}${kind}:${tokenHash}`;
  return `${grantPrefix(keyPrefix, grantId)}${kind}:${tokenHash.slice(grantId.length + 1)}`;
}

function grantPrefix(keyPrefix: string, grantId: string): string {
  return `${keyPrefix}{${grantId}}:`;
}

/*
 * The scripts that change a grant share one layout. KEYS: [1] the grant's revoked marker,
 * [2] its token set, [3] the code or refresh token presented (if any), then the access token
 * key and, maybe, the refresh token key to save. ARGV: [1] the marker's ttl, [2] the client id
 * of the request, [3] now, [4] the reuse grace, then (value, ttl) pairs of the tokens to save.
 * A refresh token is a hash { record, rotated, rotatedAt }; a code a hash { record, used }.
 * Every key a script touches carries the grant's hash tag: one Redis Cluster slot.
 */
const GRANT_SCRIPT_HEAD = `
local function save(first)
  local longest = 0
  for i = first, #KEYS do
    local value, ttl = ARGV[(i - first) * 2 + 5], tonumber(ARGV[(i - first) * 2 + 6])
    if i == first then
      redis.call('SET', KEYS[i], value, 'EX', ttl)
    else
      redis.call('HSET', KEYS[i], 'record', value, 'rotated', '0')
      redis.call('EXPIRE', KEYS[i], ttl)
    end
    if ttl > longest then longest = ttl end
  end
  -- One SADD for the tokens saved, and the set's ttl raised once to the longest of theirs.
  redis.call('SADD', KEYS[2], unpack(KEYS, first))
  if redis.call('TTL', KEYS[2]) < longest then redis.call('EXPIRE', KEYS[2], longest) end
end
local function revoke()
  redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
  for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', key) end
  redis.call('DEL', KEYS[2])
end
local function presented(field)
  if redis.call('EXISTS', KEYS[1]) == 1 then return nil end
  local found = redis.call('HMGET', KEYS[3], 'record', field, 'rotatedAt')
  if not found[1] or cjson.decode(found[1]).clientId ~= ARGV[2] then return nil end
  return found
end
`;

const REVOKE_GRANT = `${GRANT_SCRIPT_HEAD}
revoke()
`;

const SAVE_GRANT_TOKENS = `${GRANT_SCRIPT_HEAD}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
save(3)
return 1
`;

/** RFC 6749 §4.1.2: a code is used once; a second use revokes the grant. */
const EXCHANGE_CODE = `${GRANT_SCRIPT_HEAD}
local code = presented('used')
if not code then return 'unknown' end
if code[2] == '1' then
  revoke()
  return 'alreadyUsed'
end
redis.call('HSET', KEYS[3], 'used', '1')
save(4)
return 'exchanged'
`;

/** RFC 9700 §4.14.2: a rotated refresh token presented again revokes the grant, past the grace. */
const ROTATE_REFRESH_TOKEN = `${GRANT_SCRIPT_HEAD}
local token = presented('rotated')
if not token then return 'unknown' end
if token[2] == '1' then
  if tonumber(ARGV[3]) - tonumber(token[3] or 0) < tonumber(ARGV[4]) then return 'justRotated' end
  revoke()
  return 'reused'
end
redis.call('HSET', KEYS[3], 'rotated', '1', 'rotatedAt', ARGV[3])
save(4)
return 'rotated'
`;

const SAVE_CODE = `
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'used', '0')
redis.call('EXPIRE', KEYS[1], ARGV[2])
`;

export function redisOAuthOperations(settings: RedisOAuthSettings): RedisOAuthOperations {
  const { client, keyPrefix, clock, run, evalRecorded } = settings;
  const quotas = redisQuotas(settings);
  const revokedKey = (grantId: string) => `${grantPrefix(keyPrefix, grantId)}revoked`;
  const tokenSetKey = (grantId: string) => `${grantPrefix(keyPrefix, grantId)}tokens`;
  const codeKey = (codeHash: string) => tokenKey(keyPrefix, 'code', codeHash);
  const transactionKey = (idHash: string) => `${keyPrefix}tx:${idHash}`;
  const consentRecordKey = (sub: string, clientId: string) => `${keyPrefix}consent:${consentKey(sub, clientId)}`;

  /**
   * The keys and arguments of a grant script (GRANT_SCRIPT_HEAD): `presented` is the key of
   * the code or refresh token redeemed, if any; `tokens` are saved.
   */
  function grantScriptArguments(tokens: GrantTokens, presented?: string, reuseGraceSeconds = 0): { keys: string[]; args: (string | number)[] } {
    const { grantId, accessToken, refreshToken } = tokens;
    const now = clock();
    const keys = [revokedKey(grantId), tokenSetKey(grantId), ...(presented === undefined ? [] : [presented]), tokenKey(keyPrefix, 'at', accessToken.hash)];
    const args: (string | number)[] = [REVOKED_GRANT_MEMORY_SECONDS, accessToken.record.clientId, accessToken.record.issuedAt, reuseGraceSeconds];
    args.push(JSON.stringify(accessToken.record), secondsToLive(accessToken.record, now));
    if (refreshToken !== undefined) {
      keys.push(tokenKey(keyPrefix, 'rt', refreshToken.hash));
      args.push(JSON.stringify(refreshToken.record), secondsToLive(refreshToken.record, now));
    }
    return { keys, args };
  }

  return {
    async saveAuthorizationCode(codeHash, record) {
      await run(() => evalScript(client, SAVE_CODE, [codeKey(codeHash)], [JSON.stringify(record), secondsToLive(record, clock())]));
    },
    async findAuthorizationCode(codeHash) {
      const record = await run(() => client.hget(codeKey(codeHash), 'record'));
      return record === null ? undefined : (JSON.parse(record) as AuthorizationCodeRecord);
    },
    async exchangeAuthorizationCode(codeHash, tokens) {
      // The code and the tokens must share the grant's hash slot (a cluster refuses the script otherwise).
      if (grantIdOfTokenHash(codeHash) !== tokens.grantId) return 'unknown';
      const { keys, args } = grantScriptArguments(tokens, codeKey(codeHash));
      return (await evalRecorded(EXCHANGE_CODE, keys, args)) as CodeExchangeResult;
    },

    async saveGrantTokens(tokens) {
      const { keys, args } = grantScriptArguments(tokens);
      return (await run(() => evalScript(client, SAVE_GRANT_TOKENS, keys, args))) === 1;
    },
    async findRefreshToken(tokenHash) {
      const [record, rotated] = await run(() => client.hmget(tokenKey(keyPrefix, 'rt', tokenHash), 'record', 'rotated'));
      if (record === null) return undefined;
      return { record: JSON.parse(record) as RefreshTokenRecord, rotated: rotated === '1' };
    },
    async rotateRefreshToken(presentedHash, tokens, reuseGraceSeconds) {
      // Rotation stays within the presented token's grant: one hash slot, as above.
      if (grantIdOfTokenHash(presentedHash) !== tokens.grantId) return 'unknown';
      const { keys, args } = grantScriptArguments(tokens, tokenKey(keyPrefix, 'rt', presentedHash), reuseGraceSeconds);
      return (await evalRecorded(ROTATE_REFRESH_TOKEN, keys, args)) as RotationResult;
    },
    async revokeGrant(grantId) {
      await evalRecorded(REVOKE_GRANT, [revokedKey(grantId), tokenSetKey(grantId)], [REVOKED_GRANT_MEMORY_SECONDS]);
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
