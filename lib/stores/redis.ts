import { RateLimiterRedis } from 'rate-limiter-flexible';
import { systemClock, type Clock } from '../clock';
import { connectToUrl, failClosedRunner, type RedisClient } from './redis-connection';
import { secondsToLive, type Store } from './store';
import { redisOAuthOperations, tokenKey } from './redis-oauth';
import { redisDeviceOperations } from './redis-device';
import { checkDurability, scriptRecorder, type Durability } from './redis-durability';
import { cacheSettings, parseRecord, trackedTokenCache, type TokenCacheOptions } from './redis-token-cache';

export interface RedisStoreOptions {
  /** `redis://` or `rediss://` (TLS) URL; the store then owns, and closes, the connection. */
  url?: string;
  /**
   * An ioredis client the host app created and owns: a `Redis` (standalone, or configured with
   * `sentinels` and `name`) or a `Cluster`.
   */
  client?: RedisClient;
  /** Prefix of every key the store writes (default `oauth:`); no `{` or `}` (they would make a hash tag). */
  keyPrefix?: string;
  /** Limit for each store operation, in milliseconds (default 2000), whichever the connection. */
  commandTimeoutMs?: number;
  /**
   * Opt-in: keep found access tokens in memory, invalidated by Redis (client-side caching with
   * `CLIENT TRACKING`), so that `findAccessToken` needs no round trip for a token seen before.
   * Only with `url` (standalone Redis): the cache makes two more connections of its own.
   * README, "Token cache", says what it guarantees.
   */
  cache?: TokenCacheOptions;
  /**
   * `primary` (default): a write is done when the primary has it. `replicated`: revocations,
   * code and refresh token uses and device approvals also wait for a replica (`WAIT 1`, up to
   * half of `commandTimeoutMs`, on a connection of their own), and fail closed (503) without
   * one, so that a failover cannot undo them. README, "Durability", gives the cost.
   */
  durability?: Durability;
  clock?: Clock;
}

/** A revocation as a script, so that `durability` applies to it as to the other scripts that revoke. */
const REVOKE_ACCESS_TOKEN = `return redis.call('DEL', KEYS[1])`;

/**
 * Tokens in Redis, so that every app instance sharing it sees the same truth. Records expire
 * through Redis itself (EX). Any Redis failure, or no answer within `commandTimeoutMs`, rejects
 * with `TemporarilyUnavailableError`: callers fail closed. The store waits (up to the limit)
 * for a client's first connection, then fails fast while Redis is away (nothing is queued, so
 * memory does not grow) and resumes when the client has reconnected.
 *
 * Key layout (README, "Running in production"; digests are SHA-256, base64url; no token, code or transaction id is stored raw):
 *   <prefix>at:<digest>                    access token without a grant (client credentials) → JSON
 *   <prefix>{<grantId>}:at:<digest>        access token issued under a grant → JSON
 *   <prefix>{<grantId>}:rt:<digest>        refresh token → hash { record: JSON, rotated: 0|1, rotatedAt }
 *   <prefix>{<grantId>}:tokens             set of the token keys of the grant, for revoking them all
 *   <prefix>{<grantId>}:revoked            marker of a revoked grant: tokens can no longer be added
 *   <prefix>{<grantId>}:code:<digest>      authorization code → hash { record: JSON, used: 0|1 }
 *   <prefix>tx:<digest>                    authorization request waiting for consent → JSON
 *   <prefix>consent:<digest of user, client>  remembered consent → JSON
 *   <prefix>device:<digest>                device authorization request → hash (see redis-device.ts)
 *   <prefix>uc:<digest of the user code>   → the device code digest, while the request lives
 *   <prefix><counter name>:<hashed key>    failure counters of the brute-force limits (rate-limiter-flexible)
 * A grant-bound token carries its grant id (see `hashTokenValue`), so its key is computed from
 * the token alone. The `{<grantId>}` hash tag keeps every key of one grant in one Redis Cluster
 * slot: each multi-key script names only keys of one grant. Other operations touch one key.
 * Every key expires (EX) with what it holds; the token set lives as long as its longest token.
 */
export function redisStore(options: RedisStoreOptions): Store {
  const timeoutMs = checkTimeout(options.commandTimeoutMs);
  const keyPrefix = checkKeyPrefix(options.keyPrefix);
  const durability = checkDurability(options.durability);
  const cached = options.cache === undefined ? undefined : cacheSettings(options.cache);
  const { client, ownsClient } = connect(options, timeoutMs);
  const unavailableOnFailure = failClosedRunner(client, timeoutMs, ownsClient);
  const clock = options.clock ?? systemClock;
  const cache = cached === undefined ? undefined : trackedTokenCache(options.url as string, timeoutMs, clock, cached);

  const accessTokenKey = (tokenHash: string) => tokenKey(keyPrefix, 'at', tokenHash);
  const readAccessToken = (key: string) => unavailableOnFailure(() => client.get(key));

  const recorder = scriptRecorder({ durability, client, run: unavailableOnFailure, timeoutMs, url: ownsClient ? options.url : undefined });
  const { evalRecorded } = recorder;
  const settings = { client, keyPrefix, clock, run: unavailableOnFailure, evalRecorded };
  return {
    ...redisOAuthOperations(settings),
    ...redisDeviceOperations(settings),
    async saveAccessToken(tokenHash, record) {
      const ttl = secondsToLive(record, clock());
      await unavailableOnFailure(() => client.set(accessTokenKey(tokenHash), JSON.stringify(record), 'EX', ttl));
    },
    async findAccessToken(tokenHash) {
      const key = accessTokenKey(tokenHash);
      if (cache !== undefined) return cache.find(key, () => readAccessToken(key));
      return parseRecord(await readAccessToken(key));
    },
    async revokeAccessToken(tokenHash) {
      return (await evalRecorded(REVOKE_ACCESS_TOKEN, [accessTokenKey(tokenHash)], [])) === 1;
    },
    attemptCounter(name, window) {
      const limiter = new RateLimiterRedis({
        storeClient: client,
        keyPrefix: keyPrefix + name,
        points: window.points,
        duration: window.durationSeconds,
      });
      // Through unavailableOnFailure: the first connection is awaited and failures fail closed.
      return {
        get: (key) => unavailableOnFailure(() => limiter.get(key)),
        penalty: (key) => unavailableOnFailure(() => limiter.penalty(key)),
        reward: (key) => unavailableOnFailure(() => limiter.reward(key)),
        block: (key, seconds) => unavailableOnFailure(() => limiter.block(key, seconds)),
      };
    },
    async ping() {
      await unavailableOnFailure(() => client.ping());
    },
    async close() {
      cache?.close();
      recorder.close();
      if (ownsClient) client.disconnect();
    },
  };
}

function connect(options: RedisStoreOptions, timeoutMs: number): { client: RedisClient; ownsClient: boolean } {
  if (options.client !== undefined) {
    if (options.cache !== undefined) throw new TypeError('redisStore: `cache` needs `url` (it makes its own connections), not `client`.');
    return { client: options.client, ownsClient: false };
  }
  if (typeof options.url !== 'string') {
    throw new TypeError('redisStore: give either `url` (redis:// or rediss://) or `client` (an ioredis Redis or Cluster).');
  }
  if (!/^rediss?:\/\//.test(options.url)) {
    throw new TypeError('redisStore: `url` must start with redis:// or rediss://.');
  }
  return { client: connectToUrl(options.url, timeoutMs), ownsClient: true };
}

function checkTimeout(value: number | undefined): number {
  if (value === undefined) return 2000;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`redisStore: \`commandTimeoutMs\` must be a positive whole number of milliseconds, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Redis Cluster hashes only the first `{…}` of a key: braces in the prefix would override the store's hash tags. */
function checkKeyPrefix(value: string | undefined): string {
  if (value === undefined) return 'oauth:';
  if (typeof value !== 'string' || /[{}]/.test(value)) {
    throw new TypeError(`redisStore: \`keyPrefix\` must be a string without { or }, got ${JSON.stringify(value)}.`);
  }
  return value;
}
