import request from 'supertest';
import { Redis } from 'ioredis';
import { basic, buildApp } from '../helpers/app';
import { FLOW_CLIENTS, issueEveryWay, SECRETS } from './full-flow';
import { redisStore } from '../../lib/stores/redis';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

/*
 * RFC 6819 §4.3.2, §4.3.4 and §5.1.4.1.3 (tokens and secrets at rest): after a full flow, the whole
 * Redis keyspace, keys and values, holds no raw token and no secret, valid or presented.
 */
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

/** Every key with its value, whatever its type, as text. */
async function dumpKeyspace(client: Redis): Promise<string[]> {
  const lines: string[] = [];
  for (const key of await client.keys('*')) {
    const type = await client.type(key);
    const value =
      type === 'string' ? await client.get(key)
      : type === 'hash' ? await client.hgetall(key)
      : type === 'set' ? await client.smembers(key)
      : type === 'zset' ? await client.zrange(key, '0', '-1', 'WITHSCORES')
      : type === 'list' ? await client.lrange(key, 0, -1)
      : `<${type}>`;
    lines.push(`${key} ${JSON.stringify(value)}`);
  }
  return lines;
}

test('after issuing, using and failing, Redis holds only hashes: no raw token, no secret', async () => {
  const wrong = ['wrong-secret-1', 'wrong-secret-2'];
  const { app, oauth } = buildApp({
    clients: FLOW_CLIENTS,
    store: redisStore({ url: redis.url }),
  });
  const post = () => request(app).post('/oauth/token').type('form');
  let tokens: string[] = [];
  try {
    tokens = await issueEveryWay(app);
    for (const token of tokens) expect((await request(app).get('/api/read').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await post().set('Authorization', basic('svc', wrong[0])).send('grant_type=client_credentials')).status).toBe(401);
    expect((await post().send(`grant_type=client_credentials&client_id=unknown-client&client_secret=${wrong[1]}`)).status).toBe(401);
  } finally {
    await oauth.close();
  }

  const inspector = new Redis(redis.url);
  try {
    const keyspace = await dumpKeyspace(inspector);
    // Not vacuous: the tokens and the failure counters are there, as hashes.
    expect(keyspace.filter((line) => line.startsWith('oauth:at:'))).toHaveLength(3);
    expect(keyspace.filter((line) => line.startsWith('oauth:bf:'))).not.toHaveLength(0);
    for (const line of keyspace) {
      for (const value of [...tokens, ...Object.values(SECRETS), ...wrong, 'unknown-client']) expect(line).not.toContain(value);
    }
  } finally {
    inspector.disconnect();
  }
});
