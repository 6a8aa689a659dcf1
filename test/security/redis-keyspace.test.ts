import request from 'supertest';
import { Redis } from 'ioredis';
import { basic, testApp } from '../helpers/test-app';
import { FLOW_CLIENTS, issueEveryWay, SECRETS } from './full-flow';
import { redisStore } from '../../lib/stores/redis/store';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import express from 'express';
import { oauthServer } from '../../lib/server';
import { deviceAuthorization, DEVICE_CODE_GRANT_TYPE } from '../../lib/grants/device-code';
import { passwordGrant } from '../../lib/grants/password';

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
  const { app, oauth } = testApp({
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
    expect(keyspace.filter((line) => line.startsWith('oauth:lim:'))).not.toHaveLength(0);
    for (const line of keyspace) {
      for (const value of [...tokens, ...Object.values(SECRETS), ...wrong, 'unknown-client']) expect(line).not.toContain(value);
    }
  } finally {
    inspector.disconnect();
  }
});

test('after the device and password grants, Redis holds no device code, user code, password or failed username', async () => {
  const oauth = oauthServer({
    issuer: 'https://as.example/oauth',
    clients: [
      { client_id: 'tv', grant_types: [DEVICE_CODE_GRANT_TYPE], scope: 'read', token_endpoint_auth_method: 'none' },
      { client_id: 'legacy', grant_types: ['password'], scope: 'read', token_endpoint_auth_method: 'none' },
    ],
    grants: [
      deviceAuthorization({ verificationUri: 'https://as.example/device' }),
      passwordGrant({ verifyUser: async (username, password) => (username === 'alice' && password === 'alice-password' ? 'alice' : undefined) }),
    ],
    store: redisStore({ url: redis.url, keyPrefix: 'grants:' }),
    authorization: { getUser: (req) => req.header('x-user'), login: (_req, res) => res.redirect('/login') },
  });
  const app = express().use('/oauth', oauth);
  const token = (form: Record<string, string>) => request(app).post('/oauth/token').type('form').send(form);
  const secrets: string[] = ['alice-password', 'wrong-password', 'mallory'];
  try {
    const { device_code, user_code } = (await request(app).post('/oauth/device_authorization').type('form').send({ client_id: 'tv' })).body;
    secrets.push(device_code, user_code, user_code.replace('-', ''));
    const consent = await request(app).get('/oauth/device/verify').query({ user_code }).set('x-user', 'alice');
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(consent.text)?.[1] as string;
    await request(app).post('/oauth/device/decision').set('x-user', 'alice').type('form')
      .send({ transaction_id: field('transaction_id'), csrf_token: field('csrf_token'), decision: 'allow' });
    const polled = await token({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code, client_id: 'tv' });
    expect(polled.status).toBe(200);
    expect((await token({ grant_type: 'password', client_id: 'legacy', username: 'mallory', password: 'wrong-password' })).status).toBe(400);
    const password = await token({ grant_type: 'password', client_id: 'legacy', username: 'alice', password: 'alice-password' });
    expect(password.status).toBe(200);
    secrets.push(polled.body.access_token, password.body.access_token, field('transaction_id'), field('csrf_token'));
  } finally {
    await oauth.close();
  }

  const inspector = new Redis(redis.url);
  try {
    const keyspace = (await dumpKeyspace(inspector)).filter((line) => line.startsWith('grants:'));
    expect(keyspace.filter((line) => line.startsWith('grants:device:'))).toHaveLength(1);
    expect(keyspace.filter((line) => line.startsWith('grants:lim:'))).not.toHaveLength(0);
    for (const line of keyspace) {
      for (const value of secrets) expect(line).not.toContain(value);
    }
  } finally {
    inspector.disconnect();
  }
});
