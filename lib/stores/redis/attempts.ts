import type { AttemptKey, AttemptStore } from '../store';
import type { RedisOAuthSettings } from './oauth';
import { evalScript } from './scripts';

/** KEYS: blocks, then marks, all of one group. ARGV: the number of blocks. Returns each block's PTTL, then each mark's EXISTS. */
const READ = `
local blocks = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  if i <= blocks then out[i] = redis.call('PTTL', KEYS[i]) else out[i] = redis.call('EXISTS', KEYS[i]) end
end
return out
`;

/**
 * KEYS: the counter, its block. ARGV: points, durationSeconds, blockSeconds. A blocked key is
 * left alone; the first failure starts the window; the one reaching `points` becomes a block.
 */
const COUNT_FAILURE = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if count >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
  redis.call('DEL', KEYS[1])
end
return count
`;

/**
 * Keys: `<prefix>lim:{<group>}:<key>:n` (a counter), `…:b` (a block), `…:k` (a known-good
 * mark); group and key are digests. The `{<group>}` hash tag keeps one group's keys in one
 * Redis Cluster slot, so that one script reads them; a failure is counted by one script per key.
 */
export function redisAttemptStore({ client, keyPrefix, run }: Pick<RedisOAuthSettings, 'client' | 'keyPrefix' | 'run'>, timeoutMs: number): AttemptStore {
  const base = ({ group, key }: AttemptKey) => `${keyPrefix}lim:{${group}}:${key}`;

  async function readGroup(blocks: AttemptKey[], marks: AttemptKey[]): Promise<number[]> {
    const keys = [...blocks.map((block) => `${base(block)}:b`), ...marks.map((mark) => `${base(mark)}:k`)];
    return (await run(() => evalScript(client, READ, keys, [blocks.length]))) as number[];
  }

  return {
    timeoutMs,
    async read(blocks, marks) {
      const blockedMs = blocks.map(() => 0);
      const marked = marks.map(() => false);
      const groups = new Set([...blocks, ...marks].map(({ group }) => group));
      await Promise.all(
        [...groups].map(async (group) => {
          const indexes = (keys: readonly AttemptKey[]) => keys.flatMap((key, i) => (key.group === group ? [i] : []));
          const [ofBlocks, ofMarks] = [indexes(blocks), indexes(marks)];
          const values = await readGroup(ofBlocks.map((i) => blocks[i]), ofMarks.map((i) => marks[i]));
          ofBlocks.forEach((i, n) => (blockedMs[i] = Math.max(0, values[n])));
          ofMarks.forEach((i, n) => (marked[i] = values[ofBlocks.length + n] === 1));
        }),
      );
      return { blockedMs, marked };
    },
    async countFailure(counters) {
      await Promise.all(
        counters.map(({ limit, ...key }) =>
          run(() => evalScript(client, COUNT_FAILURE, [`${base(key)}:n`, `${base(key)}:b`], [limit.points, limit.durationSeconds, limit.blockSeconds])),
        ),
      );
    },
    async markKnown(mark, seconds) {
      await run(() => client.set(`${base(mark)}:k`, '1', 'EX', seconds));
    },
  };
}
