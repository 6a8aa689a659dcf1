import { Redis } from 'ioredis';
import { evalScript, evalScriptInPipeline } from '../../lib/stores/redis/scripts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { uniqueKeyPrefix } from '../helpers/stores';

/*
 * Scripts go by their SHA-1 (EVALSHA); their text only when Redis answers NOSCRIPT (a restart,
 * SCRIPT FLUSH, a failover, another cluster node). A script that ran is never sent again.
 */

let redis: RedisServer;
let client: Redis;
beforeAll(async () => {
  redis = await startRedisServer();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

const COUNT = `return redis.call('INCR', KEYS[1])`;
const COUNT_THEN_FAIL = `redis.call('INCR', KEYS[1]) return redis.error_reply('refused')`;

async function calls(name: string): Promise<number> {
  return Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(await client.info('commandstats'))?.[1] ?? 0);
}

test('a script Redis does not have is sent once as text, then by its SHA-1 only; each call runs it once', async () => {
  const key = `${uniqueKeyPrefix()}n`;
  await client.script('FLUSH');
  const [evals, evalshas] = [await calls('eval'), await calls('evalsha')];
  await expect(evalScript(client, COUNT, [key], [])).resolves.toBe(1);
  await expect(evalScript(client, COUNT, [key], [])).resolves.toBe(2);
  await expect(evalScript(client, COUNT, [key], [])).resolves.toBe(3);
  expect(await calls('eval')).toBe(evals + 1);
  expect(await calls('evalsha')).toBe(evalshas + 3);
});

test('a script that ran and failed is not sent again: its error is the answer', async () => {
  const key = `${uniqueKeyPrefix()}n`;
  await client.script('FLUSH');
  await expect(evalScript(client, COUNT_THEN_FAIL, [key], [])).rejects.toThrow('refused');
  await expect(evalScript(client, COUNT_THEN_FAIL, [key], [])).rejects.toThrow('refused');
  await expect(client.get(key)).resolves.toBe('2');
});

test('in a pipeline (script, then what durability adds), a script Redis lost is sent again as text with the rest, and runs once', async () => {
  const key = `${uniqueKeyPrefix()}n`;
  await client.script('FLUSH');
  const replies = await evalScriptInPipeline(() => client.pipeline(), (commands) => commands.call('PING'), COUNT, [key], []);
  expect(replies).toEqual([[null, 1], [null, 'PONG']]);
  const again = await evalScriptInPipeline(() => client.pipeline(), (commands) => commands.call('PING'), COUNT, [key], []);
  expect(again).toEqual([[null, 2], [null, 'PONG']]);
  await expect(client.get(key)).resolves.toBe('2');
});
