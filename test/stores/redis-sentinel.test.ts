import type { Redis } from 'ioredis';
import { redisStore } from '../../lib/stores/redis/store';
import { generateTokenValue } from '../../lib/tokens/token-value';
import { eventually } from '../helpers/eventually';
import { callApi, issueServiceToken, flowOptions, testApp } from '../helpers/test-app';
import { sentinelClient, startSentinelSetUp, type SentinelSetUp } from '../helpers/redis-sentinel';
import { redisStoreContract } from './redis-contract';

let setUp: SentinelSetUp | undefined;
let client: Redis;
beforeAll(async () => {
  setUp = await startSentinelSetUp();
  client = sentinelClient(setUp);
}, 30_000);
afterAll(async () => {
  client?.disconnect();
  await setUp?.stop();
});

redisStoreContract('redis sentinel', () => ({ client }));

describe('redis store behind Sentinel', () => {
  test('tokens keep working, and new ones are issued, after the primary is lost and the replica promoted', async () => {
    const { primary, replica, primaryPort } = setUp as SentinelSetUp;
    const { app } = testApp(flowOptions(() => redisStore({ client, commandTimeoutMs: 1000 })));
    const before = await issueServiceToken(app);
    expect((await callApi(app, before)).status).toBe(200);
    // Replication is asynchronous: the token is on the replica once it has acknowledged the write.
    expect(await client.call('WAIT', '1', '5000')).toBe(1);

    await primary.kill();
    await eventually('Sentinel to promote the replica', async () => (await primaryPort()) === replica.port, 20_000);

    // While the client finds the new primary a request may be refused as unavailable, never as invalid.
    const seen = new Set<number>();
    await eventually('the token to work on the new primary', async () => {
      const { status } = await callApi(app, before);
      seen.add(status);
      return status === 200;
    });
    expect([...seen].filter((status) => status !== 200 && status !== 503)).toEqual([]);

    const after = await issueServiceToken(app);
    expect((await callApi(app, after)).status).toBe(200);
    expect((await callApi(app, generateTokenValue())).status).toBe(401);
  }, 40_000);
});
