import { systemClock, type Clock } from '../../clock';
import { connectToUrl, failClosedRunner, type RedisClient } from './connection';
import { secondsToLive, type Store } from '../store';
import { redisOAuthOperations, tokenKey } from './oauth';
import { redisDeviceOperations } from './device';
import { redisPushedRequestOperations } from './pushed-requests';
import { parseRecord, trackedTokenCache, type TokenCacheOptions } from './token-cache';
import { checkRedisStoreOptions, type RedisConnection } from '../../options/stores';
import { redisAttemptStore } from './attempts';
import { redisRegisteredClients } from './clients';
import { redisSigningKeyStore } from './signing-keys';
import { scriptRecorder, type Durability } from './durability';

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
 *   <prefix>par:<digest of the request_uri>  pushed authorization request (RFC 9126) → JSON (see pushed-requests.ts)
 *   <prefix>consent:<digest of user, client>  remembered consent → JSON
 *   <prefix>device:<digest>                device authorization request → hash (see device.ts)
 *   <prefix>uc:<digest of the user code>   → the device code digest, while the request lives
 *   <prefix>lim:{<digest>}:<digest>:n|b|k  brute-force limits: failure counter, block, known-good mark (attempts.ts)
 *   <prefix>{quota}:<digest>               ids a quota counts → sorted set scored by when each is forgotten (see quotas.ts)
 *   <prefix>{quota}:of:<digest>            the quota keys a pending consent or pushed request counts under, to free its place when taken
 *   <prefix>{clients}:<digest of the id>   a registered client (RFC 7591) → JSON, no expiry (see clients.ts)
 *   <prefix>{clients}:all                  the set of registered clients' digests, which bounds their number
 *   <prefix>once:<digest of purpose, ids>  replay record (DPoP proof jti, assertion jti) → "1", SET NX, until it could no longer be accepted
 *   <prefix>signing-keys                   generated JWT signing keys, private (opt-in) → hash { version, keys: JSON } (signing-keys.ts)
 * A grant-bound token carries its grant id (see `hashTokenValue`), so its key is computed from
 * the token alone. The `{<grantId>}` hash tag keeps every key of one grant in one Redis Cluster
 * slot, and `{<digest>}` the limit keys of one group: each multi-key script names keys of one
 * slot. Other operations touch one key.
 * Every key expires (EX) with what it holds, but registered clients, which last until deleted;
 * the token set lives as long as its longest token.
 */
export function redisStore(options: RedisStoreOptions): Store {
  const { connection, keyPrefix, commandTimeoutMs: timeoutMs, durability, cache: cached, clock = systemClock } = checkRedisStoreOptions(options);
  const { client, ownsClient } = connect(connection, timeoutMs);
  const unavailableOnFailure = failClosedRunner(client, timeoutMs, ownsClient);
  const cache = cached === undefined || !('url' in connection) ? undefined : trackedTokenCache(connection.url, timeoutMs, clock, cached);

  const accessTokenKey = (tokenHash: string) => tokenKey(keyPrefix, 'at', tokenHash);
  const readAccessToken = (key: string) => unavailableOnFailure(() => client.get(key));

  const recorder = scriptRecorder({ durability, client, run: unavailableOnFailure, timeoutMs, url: 'url' in connection ? connection.url : undefined });
  const { evalRecorded } = recorder;
  const settings = { client, keyPrefix, clock, run: unavailableOnFailure, evalRecorded };
  return {
    ...redisOAuthOperations(settings),
    ...redisDeviceOperations(settings),
    ...redisPushedRequestOperations(settings),
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
    async rememberOnce(key, expiresAt) {
      // One command, atomic: of two instances remembering the same key, exactly one gets OK.
      const ttl = secondsToLive({ expiresAt }, clock());
      return (await unavailableOnFailure(() => client.set(`${keyPrefix}once:${key}`, '1', 'EX', ttl, 'NX'))) === 'OK';
    },
    attempts: redisAttemptStore(settings, timeoutMs),
    registeredClients: redisRegisteredClients(settings),
    signingKeys: redisSigningKeyStore(settings),
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

function connect(connection: RedisConnection, timeoutMs: number): { client: RedisClient; ownsClient: boolean } {
  if ('client' in connection) return { client: connection.client, ownsClient: false };
  return { client: connectToUrl(connection.url, timeoutMs), ownsClient: true };
}
