import type { Clock } from '../clock';
import type { MemoryStoreOptions } from '../stores/memory/store';
import type { RedisStoreOptions } from '../stores/redis/store';
import type { Durability } from '../stores/redis/durability';
import type { TokenCacheOptions } from '../stores/redis/token-cache';
import { checkFunction, checkOneOf, checkOptionsObject, checkPositiveInteger, checkPositiveNumber, checkPlainString, OptionPath, type KnownKeys } from './checks';

const MEMORY = new OptionPath('memoryStore');
const REDIS = new OptionPath('redisStore');

const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const MEMORY_KEYS: KnownKeys<MemoryStoreOptions> = { sweepIntervalSeconds: true, maxRecords: true, clock: true };

export interface CheckedMemoryStoreOptions {
  sweepIntervalSeconds: number;
  maxRecords: number;
  clock?: Clock;
}

export function checkMemoryStoreOptions(value: unknown): CheckedMemoryStoreOptions {
  const options = checkOptionsObject(MEMORY, value, MEMORY_KEYS, '{ sweepIntervalSeconds?, maxRecords?, clock? }');
  return {
    // Node runs a timer of 0, NaN or over 2^31-1 ms every millisecond.
    sweepIntervalSeconds: checkPositiveNumber(MEMORY.at('sweepIntervalSeconds'), options.sweepIntervalSeconds, 60, MAX_TIMER_SECONDS),
    maxRecords: checkPositiveInteger(MEMORY.at('maxRecords'), options.maxRecords, 100_000),
    clock: checkFunction(MEMORY.at('clock'), options.clock),
  };
}

const REDIS_KEYS: KnownKeys<RedisStoreOptions> = { url: true, client: true, keyPrefix: true, commandTimeoutMs: true, cache: true, durability: true, clock: true };
const CACHE_KEYS: KnownKeys<TokenCacheOptions> = { maxEntries: true, maxStalenessMs: true };

/** How the store reaches Redis: a URL it connects to and owns, or the host app's client. */
export type RedisConnection = { url: string } | { client: NonNullable<RedisStoreOptions['client']> };

export interface CheckedRedisStoreOptions {
  connection: RedisConnection;
  keyPrefix: string;
  commandTimeoutMs: number;
  durability: Durability;
  cache?: Required<TokenCacheOptions>;
  clock?: Clock;
}

export function checkRedisStoreOptions(value: unknown): CheckedRedisStoreOptions {
  const options = checkOptionsObject(REDIS, value, REDIS_KEYS, '{ url } or { client }');
  const connection = checkConnection(options);
  if (options.cache !== undefined && !('url' in connection)) {
    throw REDIS.at('cache').error('needs `url` (it makes its own connections), not `client`');
  }
  return {
    connection,
    // Redis Cluster hashes only the first `{…}` of a key: braces in the prefix would override the store's hash tags.
    keyPrefix: checkPlainString(REDIS.at('keyPrefix'), options.keyPrefix, /^[^{}]*$/, 'oauth:'),
    commandTimeoutMs: checkPositiveInteger(REDIS.at('commandTimeoutMs'), options.commandTimeoutMs, 2000),
    durability: checkOneOf(REDIS.at('durability'), options.durability, ['primary', 'replicated'], 'primary'),
    ...(options.cache !== undefined && { cache: checkCacheOptions(options.cache) }),
    clock: checkFunction(REDIS.at('clock'), options.clock),
  };
}

function checkConnection(options: Partial<RedisStoreOptions>): RedisConnection {
  if (options.client !== undefined) return { client: options.client };
  if (typeof options.url !== 'string') throw REDIS.error('needs either `url` (redis:// or rediss://) or `client` (an ioredis Redis or Cluster)');
  if (!/^rediss?:\/\//.test(options.url)) throw REDIS.at('url').error('must start with redis:// or rediss://');
  return { url: options.url };
}

function checkCacheOptions(value: unknown): Required<TokenCacheOptions> {
  const at = REDIS.at('cache');
  const options = checkOptionsObject(at, value, CACHE_KEYS, '{ maxEntries?, maxStalenessMs? }');
  return {
    maxEntries: checkPositiveInteger(at.at('maxEntries'), options.maxEntries, 10_000),
    maxStalenessMs: checkPositiveInteger(at.at('maxStalenessMs'), options.maxStalenessMs, 1000),
  };
}
