import { Redis, type Cluster } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { TemporarilyUnavailableError } from '../errors';
import { systemClock, type Clock } from '../clock';
import { secondsToLive, type AccessTokenRecord, type Store } from './store';

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
 * Key layout: `<prefix>at:<sha256 of the token>` → JSON record; failure counters of the
 * brute-force limits (rate-limiter-flexible) under `<prefix><counter name>:<hashed key>`.
 */
export function redisStore(options: RedisStoreOptions): Store {
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
  const accessTokenKey = (tokenHash: string) => `${keyPrefix}at:${tokenHash}`;

  return {
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
