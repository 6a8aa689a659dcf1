import { hash } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './connection';

/** The SHA-1 of each script the store has run, computed once per script (the scripts are module constants). */
const shas = new Map<string, string>();

function shaOf(script: string): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = hash('sha1', script, 'hex');
    shas.set(script, sha);
  }
  return sha;
}

/** Redis answers NOSCRIPT when it does not have the script (a restart, SCRIPT FLUSH, another cluster node): it did not run. */
function isMissingScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Runs a Lua script by its SHA-1 (EVALSHA), so that the script's text is not encoded, sent and
 * hashed again on every call; sends the text (EVAL, which also loads it) only when Redis does
 * not have it. A NOSCRIPT answer means the script did not run, so sending it once more is safe.
 */
export function evalScript(client: RedisClient, script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  return client.evalsha(shaOf(script), keys.length, ...keys, ...args).catch((error: unknown) => {
    if (!isMissingScript(error)) throw error;
    return client.eval(script, keys.length, ...keys, ...args);
  });
}

/**
 * As `evalScript`, with the script as the first command of a pipeline that `rest` completes
 * (durability.ts adds its WAIT): the pipeline is sent again with EVAL when Redis did not have
 * the script. Resolves with the replies of the pipeline.
 */
export async function evalScriptInPipeline(
  pipeline: () => ChainableCommander,
  rest: (commands: ChainableCommander) => ChainableCommander,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<[Error | null, unknown][]> {
  const bySha = (await rest(pipeline().evalsha(shaOf(script), keys.length, ...keys, ...args)).exec()) as [Error | null, unknown][];
  if (!isMissingScript(bySha[0]?.[0])) return bySha;
  return (await rest(pipeline().eval(script, keys.length, ...keys, ...args)).exec()) as [Error | null, unknown][];
}
