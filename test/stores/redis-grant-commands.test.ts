import { Redis } from 'ioredis';
import { redisStore } from '../../lib/stores/redis/store';
import type { Store } from '../../lib/stores/store';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { uniqueKeyPrefix } from '../helpers/stores';
import { authorize, exchange, flowOptions, spaRequest, testApp, tokenRequest } from '../helpers/test-app';

/*
 * What a code exchange and a refresh cost Redis, counted by Redis itself (INFO commandstats,
 * which counts the commands a script runs too). Each command the Node process sends costs it
 * encoding, a promise and a reply to parse: the grants send two each, the look-up and one script.
 */

let redis: RedisServer;
let inspector: Redis;
let store: Store;
beforeAll(async () => {
  redis = await startRedisServer();
  inspector = new Redis(redis.url);
  store = redisStore({ url: redis.url, keyPrefix: uniqueKeyPrefix() });
});
afterAll(async () => {
  await store.close();
  inspector.disconnect();
  await redis.stop();
});

/** Calls per command name that Redis ran during `work` (INFO itself left out). */
async function commandsDuring(work: () => Promise<unknown>): Promise<Record<string, number>> {
  const calls = async () => {
    const counts = new Map<string, number>();
    for (const [, name, count] of (await inspector.info('commandstats')).matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) counts.set(name, Number(count));
    return counts;
  };
  const before = await calls();
  await work();
  const ran: Record<string, number> = {};
  for (const [name, count] of await calls()) {
    if (name !== 'info' && count > (before.get(name) ?? 0)) ran[name] = count - (before.get(name) ?? 0);
  }
  return ran;
}

const total = (ran: Record<string, number>) => Object.values(ran).reduce((sum, count) => sum + count, 0);

test('a code exchange is one look-up and one script (EVALSHA) of 9 commands; a refresh one look-up and one script of at most 9', async () => {
  const server = testApp(flowOptions(store));
  const refresh = (refreshToken: string) => tokenRequest(server.app, { grant_type: 'refresh_token', client_id: 'spa', refresh_token: refreshToken });
  // The first use of each script loads it (EVAL); what follows is the steady state.
  const warmUp = spaRequest();
  expect((await refresh((await exchange(server.app, await authorize(server.app, warmUp.query), warmUp.verifier)).body.refresh_token)).status).toBe(200);

  const { query, verifier } = spaRequest();
  const code = await authorize(server.app, query);
  let refreshToken = '';
  const exchanged = await commandsDuring(async () => {
    const res = await exchange(server.app, code, verifier);
    expect(res.status).toBe(200);
    refreshToken = res.body.refresh_token;
  });
  // Sent by Node: HGET (the code's record), EVALSHA. In the script: EXISTS (revoked grant), HMGET and
  // HSET (the code, now used), SET (access token), HSET and EXPIRE (refresh token), SADD, TTL and EXPIRE (the grant's token set).
  expect(exchanged).toEqual({ hget: 1, evalsha: 1, exists: 1, hmget: 1, hset: 2, set: 1, expire: 2, sadd: 1, ttl: 1 });
  expect(total(exchanged)).toBe(11);

  const refreshed = await commandsDuring(async () => expect((await refresh(refreshToken)).status).toBe(200));
  // Sent by Node: HMGET (the token's record), EVALSHA. In the script as above, the token marked
  // rotated instead of the code used; the set's EXPIRE only when the new tokens outlive it.
  expect(refreshed).toMatchObject({ hmget: 2, evalsha: 1, exists: 1, hset: 2, set: 1, sadd: 1, ttl: 1 });
  expect(refreshed.expire).toBeGreaterThanOrEqual(1);
  expect(refreshed.expire).toBeLessThanOrEqual(2);
  expect(total(refreshed)).toBeLessThanOrEqual(11);
});
