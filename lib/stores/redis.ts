import { systemClock, type Clock } from '../clock';
import { connectToUrl, failClosedRunner, type RedisClient } from './redis-connection';
import { secondsToLive, type AccessTokenRecord, type Store } from './store';

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
  clock?: Clock;
}

/**
 * Tokens in Redis, so that every app instance sharing it sees the same truth. Records expire
 * through Redis itself (EX). Any Redis failure, or no answer within `commandTimeoutMs`, rejects
 * with `TemporarilyUnavailableError`: callers fail closed. The store waits (up to the limit)
 * for a client's first connection, then fails fast while Redis is away (nothing is queued, so
 * memory does not grow) and resumes when the client has reconnected.
 *
 * Key layout (docs/production.md): `<prefix>at:<sha256 of the token>` → JSON record.
 */
export function redisStore(options: RedisStoreOptions): Store {
  const timeoutMs = checkTimeout(options.commandTimeoutMs);
  const keyPrefix = checkKeyPrefix(options.keyPrefix);
  const { client, ownsClient } = connect(options, timeoutMs);
  const unavailableOnFailure = failClosedRunner(client, timeoutMs);
  const clock = options.clock ?? systemClock;

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
    async ping() {
      await unavailableOnFailure(() => client.ping());
    },
    async close() {
      if (ownsClient) client.disconnect();
    },
  };
}

function connect(options: RedisStoreOptions, timeoutMs: number): { client: RedisClient; ownsClient: boolean } {
  if (options.client !== undefined) return { client: options.client, ownsClient: false };
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
