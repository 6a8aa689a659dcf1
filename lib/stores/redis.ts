import { Redis, type Cluster } from 'ioredis';
import { TemporarilyUnavailableError } from '../errors';
import { systemClock, type Clock } from '../clock';
import { secondsToLive, type AccessTokenRecord, type Store } from './store';
import { redisOAuthOperations, tokenKey } from './redis-oauth';

export interface RedisStoreOptions {
  /** `redis://` or `rediss://` (TLS) URL; the store then owns, and closes, the connection. */
  url?: string;
  /** An ioredis client or Cluster the host app created and owns. */
  client?: Redis | Cluster;
  /** Prefix of every key the store writes (default `oauth:`). */
  keyPrefix?: string;
  /** Limit for each Redis command, in milliseconds (default 2000); only for a connection made from `url`. */
  commandTimeoutMs?: number;
  clock?: Clock;
}

/**
 * Tokens in Redis, so that every app instance sharing it sees the same truth. Records expire
 * through Redis itself (EX). Any Redis failure rejects with `TemporarilyUnavailableError`:
 * callers fail closed. A connection made here waits (up to the command timeout) for its first
 * connection, then fails fast while Redis is away (no offline queue, so memory does not grow)
 * and reconnects by itself.
 *
 * Key layout (digests are SHA-256, base64url; no token, code or transaction id is stored raw):
 *   <prefix>at:<digest>                    access token without a grant (client credentials) → JSON
 *   <prefix>{<grantId>}:at:<digest>        access token issued under a grant → JSON
 *   <prefix>{<grantId>}:rt:<digest>        refresh token → hash { record: JSON, rotated: 0|1 }
 *   <prefix>{<grantId>}:tokens             set of the token keys of the grant, for revoking them all
 *   <prefix>{<grantId>}:revoked            marker of a revoked grant: tokens can no longer be added
 *   <prefix>code:<digest>                  authorization code → hash { record: JSON, used: 0|1 }
 *   <prefix>tx:<digest>                    authorization request waiting for consent → JSON
 *   <prefix>consent:<digest of user, client>  remembered consent → JSON
 * A grant-bound token carries its grant id (see `hashTokenValue`), so its key is computed from
 * the token alone. The `{<grantId>}` hash tag keeps every key of one grant in one Redis Cluster
 * slot: each multi-key script names only keys of one grant. Other operations touch one key.
 * Every key expires (EX) with what it holds; the token set lives as long as its longest token.
 */
export function redisStore(options: RedisStoreOptions): Store {
  // A brace in the prefix would become the hash tag of every key, instead of the grant id.
  if (/[{}]/.test(options.keyPrefix ?? '')) throw new TypeError('redisStore: `keyPrefix` must not contain { or }.');
  const { client, ownsClient } = connect(options);
  const timeoutMs = options.commandTimeoutMs ?? 2000;
  const firstConnection = ownsClient ? waitUntilReady(client, timeoutMs) : Promise.resolve();
  firstConnection.catch(() => {});
  const clock = options.clock ?? systemClock;

  async function unavailableOnFailure<T>(command: () => Promise<T>): Promise<T> {
    try {
      if (client.status !== 'ready') await firstConnection;
      return await command();
    } catch {
      throw new TemporarilyUnavailableError('The token store is unreachable.');
    }
  }

  const keyPrefix = options.keyPrefix ?? 'oauth:';
  const accessTokenKey = (tokenHash: string) => tokenKey(keyPrefix, 'at', tokenHash);

  return {
    ...redisOAuthOperations({ client, keyPrefix, clock, run: unavailableOnFailure }),
    async saveAccessToken(tokenHash, record) {
      const ttl = secondsToLive(record, clock());
      await unavailableOnFailure(() => client.set(accessTokenKey(tokenHash), JSON.stringify(record), 'EX', ttl));
    },
    async findAccessToken(tokenHash) {
      const value = await unavailableOnFailure(() => client.get(accessTokenKey(tokenHash)));
      return value === null ? undefined : (JSON.parse(value) as AccessTokenRecord);
    },
    async revokeAccessToken(tokenHash) {
      return (await unavailableOnFailure(() => client.del(accessTokenKey(tokenHash)))) > 0;
    },
    async ping() {
      await unavailableOnFailure(() => client.ping());
    },
    async close() {
      if (ownsClient) client.disconnect();
    },
  };
}

function connect(options: RedisStoreOptions): { client: Redis | Cluster; ownsClient: boolean } {
  if (options.client !== undefined) return { client: options.client, ownsClient: false };
  if (typeof options.url !== 'string') {
    throw new TypeError('redisStore: give either `url` (redis:// or rediss://) or `client` (an ioredis client).');
  }
  if (!/^rediss?:\/\//.test(options.url)) {
    throw new TypeError('redisStore: `url` must start with redis:// or rediss://.');
  }
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: options.commandTimeoutMs ?? 2000,
  });
  // Connection errors reach callers as rejected commands; the event itself needs a listener
  // so that ioredis does not report it as unhandled.
  client.on('error', () => {});
  return { client, ownsClient: true };
}

function waitUntilReady(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error('Redis did not become ready in time'));
    }, timeoutMs);
    timer.unref();
    function onReady() {
      clearTimeout(timer);
      resolve();
    }
    client.once('ready', onReady);
  });
}
