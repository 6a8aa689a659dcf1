import { hash } from 'node:crypto';
import type { RedisClient } from './connection';

/** Runs a Lua script with `keys` and `args`; resolves with its reply. */
export type RedisScript = (client: RedisClient, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/**
 * A Lua script sent by its SHA1 digest (EVALSHA): Redis neither receives nor hashes the body on
 * every call. A server that does not know it yet (started, restarted, failed over, another
 * Cluster node) answers NOSCRIPT, and the body is sent once with EVAL, which also caches it.
 */
export function redisScript(lua: string): RedisScript {
  const sha = hash('sha1', lua);
  return async (client, keys, args) => {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(lua, keys.length, ...keys, ...args);
    }
  };
}
