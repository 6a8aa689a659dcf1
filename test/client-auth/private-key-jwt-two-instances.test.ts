import request from 'supertest';
import type { Express } from 'express';
import { redisStore } from '../../lib/stores/redis/store';
import type { Store } from '../../lib/stores/store';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { uniqueKeyPrefix } from '../helpers/stores';
import { ISSUER, expectOAuthErrorBody, testApp } from '../helpers/test-app';
import { assertionClaims, assertionForm, assertionSigner, type AssertionSigner } from '../helpers/assertions';

/** Two instances on one Redis, as behind a load balancer: a client assertion's jti is used once, wherever (RFC 7523 §3 item 7). */
let redis: RedisServer;
let stores: Store[];
let signer: AssertionSigner;
beforeAll(async () => {
  redis = await startRedisServer();
  signer = await assertionSigner('EdDSA');
});
afterAll(() => redis.stop());
afterEach(() => Promise.all(stores.map((store) => store.close())));

test('an assertion used at one instance is a replay at the other', async () => {
  const keyPrefix = uniqueKeyPrefix();
  stores = [redisStore({ url: redis.url, keyPrefix }), redisStore({ url: redis.url, keyPrefix })];
  const client = { client_id: 'keyed', token_endpoint_auth_method: 'private_key_jwt' as const, jwks: { keys: [signer.publicJwk] }, grant_types: ['client_credentials'], scope: 'read' };
  const [a, b] = stores.map((store) => testApp({ store, clients: [client] }).app) as [Express, Express];
  const now = Math.floor(Date.now() / 1000);
  const assertion = await signer.sign(assertionClaims('keyed', ISSUER, now));
  const send = (app: Express) => request(app).post('/oauth/token').type('form').send(assertionForm(assertion, { grant_type: 'client_credentials' }));
  expect((await send(a)).status).toBe(200);
  const replay = await send(b);
  expect(replay.status).toBe(401);
  expectOAuthErrorBody(replay.body, 'invalid_client');
});

test('one assertion sent 10 times at once, to both instances: exactly one token, nine invalid_client', async () => {
  const keyPrefix = uniqueKeyPrefix();
  stores = [redisStore({ url: redis.url, keyPrefix }), redisStore({ url: redis.url, keyPrefix })];
  const client = { client_id: 'keyed', token_endpoint_auth_method: 'private_key_jwt' as const, jwks: { keys: [signer.publicJwk] }, grant_types: ['client_credentials'], scope: 'read' };
  const apps = stores.map((store) => testApp({ store, clients: [client] }).app);
  const assertion = await signer.sign(assertionClaims('keyed', ISSUER, Math.floor(Date.now() / 1000)));
  const answers = await Promise.all(
    Array.from({ length: 10 }, (_, i) => request(apps[i % 2]).post('/oauth/token').type('form').send(assertionForm(assertion, { grant_type: 'client_credentials' }))),
  );
  const statuses = answers.map((res) => res.status).sort();
  expect(statuses).toEqual([200, ...Array(9).fill(401)]);
});
