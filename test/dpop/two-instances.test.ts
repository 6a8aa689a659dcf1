import request from 'supertest';
import type { Express } from 'express';
import { redisStore } from '../../lib/stores/redis/store';
import type { Store } from '../../lib/stores/store';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { uniqueKeyPrefix } from '../helpers/stores';
import { dpopKey, type DpopKey } from '../helpers/dpop';
import { FLOW_CLIENTS, FLOW_ISSUER, expectOAuthErrorBody, flowOptions, testApp } from '../helpers/test-app';

/** Two instances of the server on one Redis, as behind a load balancer (RFC 9449 §11.1: a proof is used once, wherever). */
const TOKEN_URL = `${FLOW_ISSUER}/token`;
const ROUTE = `${new URL(FLOW_ISSUER).origin}/api/read`;
const NONCE_SECRET = 'a-secret-the-instances-share-0123456789';

let redis: RedisServer;
let stores: Store[];
let a: Express;
let b: Express;
let key: DpopKey;
beforeAll(async () => {
  redis = await startRedisServer();
  key = await dpopKey();
});
afterAll(() => redis.stop());
beforeEach(() => {
  const keyPrefix = uniqueKeyPrefix();
  stores = [redisStore({ url: redis.url, keyPrefix }), redisStore({ url: redis.url, keyPrefix })];
  const instance = (store: Store) =>
    testApp({ ...flowOptions(store, { dpop: { requireNonce: true, nonceSecret: NONCE_SECRET } }), clients: FLOW_CLIENTS, now: Math.floor(Date.now() / 1000) }).app;
  [a, b] = stores.map(instance) as [Express, Express];
});
afterEach(() => Promise.all(stores.map((store) => store.close())));

const tokenRequest = (app: Express, proof: string) =>
  request(app).post('/oauth/token').auth('svc', 'svc-secret').type('form').set('DPoP', proof).send({ grant_type: 'client_credentials', scope: 'read' });

test('a nonce from one instance is good at the other, and a proof used at one is a replay at the other, at the token endpoint and at a route', async () => {
  const nonce = (await tokenRequest(a, await key.proof('POST', TOKEN_URL))).headers['dpop-nonce'];
  const proof = await key.proof('POST', TOKEN_URL, { claims: { nonce } });
  const issued = await tokenRequest(b, proof);
  expect(issued.status).toBe(200);
  expect(issued.body.token_type).toBe('DPoP');
  expectOAuthErrorBody((await tokenRequest(a, proof)).body, 'invalid_dpop_proof');

  const token = issued.body.access_token as string;
  const routeProof = await key.proof('GET', ROUTE, { accessToken: token, claims: { nonce } });
  const call = (app: Express) => request(app).get('/api/read').set('Authorization', `DPoP ${token}`).set('DPoP', routeProof);
  expect((await call(a)).status).toBe(200);
  const replay = await call(b);
  expect(replay.status).toBe(401);
  expect(replay.headers['www-authenticate']).toMatch(/DPoP error="invalid_dpop_proof"/);
});

test('one proof sent 10 times at once, to both instances: exactly one token, nine invalid_dpop_proof', async () => {
  const nonce = (await tokenRequest(a, await key.proof('POST', TOKEN_URL))).headers['dpop-nonce'];
  const proof = await key.proof('POST', TOKEN_URL, { claims: { nonce } });
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => tokenRequest(i % 2 ? a : b, proof)));
  expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
  expect(answers.filter((res) => res.status === 400 && res.body.error === 'invalid_dpop_proof')).toHaveLength(9);
});
