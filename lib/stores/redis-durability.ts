import type { RedisClient } from './redis-connection';

/**
 * What a store write that uses something up or revokes it waits for before it counts as done:
 * - `primary`: the primary's answer. Replication is asynchronous, so a failover in the next
 *   moment can lose the write (a revoked token valid again, a used code usable again).
 * - `replicated`: also a replica's acknowledgement (`WAIT 1`), sent in the same pipeline on
 *   the same connection; without one in time the operation fails closed.
 */
export type Durability = 'primary' | 'replicated';

type Run = <T>(command: () => Promise<T>) => Promise<T>;

/** Runs a script as `durability` says; `run` bounds it and turns failures into 503. */
export function recordedScriptRunner(client: RedisClient, run: Run, durability: Durability, timeoutMs: number) {
  if (durability === 'primary') {
    return (script: string, keys: string[], args: (string | number)[]) => run(() => client.eval(script, keys.length, ...keys, ...args));
  }
  // Half the command limit for the replica, so that the whole pipeline answers within the limit.
  const replicaWaitMs = Math.max(1, Math.floor(timeoutMs / 2));
  return (script: string, keys: string[], args: (string | number)[]) =>
    run(async () => {
      const replies = await client.pipeline().eval(script, keys.length, ...keys, ...args).call('WAIT', 1, replicaWaitMs).exec();
      const [[scriptError, result], [waitError, acknowledged]] = replies as [Error | null, unknown][];
      if (scriptError !== null) throw scriptError;
      if (waitError !== null) throw waitError;
      if (typeof acknowledged !== 'number' || acknowledged < 1) throw new Error(`No replica acknowledged the write within ${replicaWaitMs} ms`);
      return result;
    });
}

/** `durability`, checked at start-up. */
export function checkDurability(value: unknown): Durability {
  if (value === undefined) return 'primary';
  if (value !== 'primary' && value !== 'replicated') {
    throw new TypeError(`redisStore: \`durability\` must be 'primary' or 'replicated', got ${JSON.stringify(value)}.`);
  }
  return value;
}
