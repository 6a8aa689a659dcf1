import { Cluster } from 'ioredis';
import { connectToUrl, failClosedRunner, type RedisClient } from './connection';
import { evalScript, evalScriptInPipeline } from './scripts';

/**
 * What a store write that uses something up or revokes it waits for before it counts as done:
 * - `primary`: the primary's answer. Replication is asynchronous, so a failover in the next
 *   moment can lose the write (a revoked token valid again, a used code usable again).
 * - `replicated`: also a replica's acknowledgement (`WAIT 1`), sent in the same pipeline on
 *   the same connection; without one in time the operation fails closed.
 */
export type Durability = 'primary' | 'replicated';

type Run = <T>(command: () => Promise<T>) => Promise<T>;

/** Runs a script that uses something up or revokes it; rejects with `TemporarilyUnavailableError` on failure. */
export type RecordedScriptRunner = (script: string, keys: string[], args: (string | number)[]) => Promise<unknown>;

export interface ScriptRecorder {
  evalRecorded: RecordedScriptRunner;
  /** Releases the connection of its own, if it made one. */
  close(): void;
}

export interface RecorderSettings {
  durability: Durability;
  /** The store's client, and its runner (bounded, failing closed). */
  client: RedisClient;
  run: Run;
  timeoutMs: number;
  /** The URL the store connected with, when it made the connection itself. */
  url?: string;
}

/**
 * With `primary`, scripts run on the store's connection. With `replicated`, on a connection of
 * their own: WAIT blocks the connection it is sent on, and token look-ups must not queue behind
 * it while a replica is slow.
 */
export function scriptRecorder({ durability, client, run, timeoutMs, url }: RecorderSettings): ScriptRecorder {
  if (durability === 'primary') {
    return { evalRecorded: (script, keys, args) => run(() => evalScript(client, script, keys, args)), close: () => {} };
  }
  const own = url === undefined ? duplicate(client) : connectToUrl(url, timeoutMs);
  const runOwn = failClosedRunner(own, timeoutMs, url !== undefined);
  // Half the command limit for the replica, so that the whole pipeline answers within the limit.
  const replicaWaitMs = Math.max(1, Math.floor(timeoutMs / 2));
  return {
    evalRecorded: (script, keys, args) =>
      runOwn(async () => {
        const replies = await evalScriptInPipeline(() => own.pipeline(), (commands) => commands.call('WAIT', 1, replicaWaitMs), script, keys, args);
        const [[scriptError, result], [waitError, acknowledged]] = replies;
        if (scriptError !== null) throw scriptError;
        if (waitError !== null) throw waitError;
        if (typeof acknowledged !== 'number' || acknowledged < 1) throw new Error(`No replica acknowledged the write within ${replicaWaitMs} ms`);
        return result;
      }),
    close: () => own.disconnect(),
  };
}

/** A second connection like the host app's client (same options, Sentinel or Cluster included), owned by the store. */
function duplicate(client: RedisClient): RedisClient {
  const copy: RedisClient = client instanceof Cluster ? client.duplicate() : client.duplicate();
  // Failures reach callers as rejected commands; the event needs a listener all the same.
  copy.on('error', () => {});
  return copy;
}
