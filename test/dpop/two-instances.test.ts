import request from 'supertest';
import type { Express } from 'express';
import { useStores } from '../helpers/stores';
import { sendAtOnce, twoInstances } from '../helpers/two-instances';
import { dpopKey, type DpopKey } from '../helpers/dpop';
import { FLOW_CLIENTS, FLOW_ISSUER, expectOAuthErrorBody, flowOptions, testApp } from '../helpers/test-app';

/** Two instances of the server on one Redis, as behind a load balancer (RFC 9449 §11.1: a proof is used once, wherever). */
const TOKEN_URL = `${FLOW_ISSUER}/token`;
const ROUTE = `${new URL(FLOW_ISSUER).origin}/api/read`;
const NONCE_SECRET = 'a-secret-the-instances-share-0123456789';

const stores = useStores();
let a: Express;
let b: Express;
let key: DpopKey;
beforeAll(async () => {
  key = await dpopKey();
});
beforeEach(() => {
  [a, b] = twoInstances(stores, (store) =>
    testApp({ ...flowOptions(store, { dpop: { requireNonce: true, nonceSecret: NONCE_SECRET } }), clients: FLOW_CLIENTS, now: Math.floor(Date.now() / 1000) }).app,
  );
});

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
  const answers = await sendAtOnce([a, b], 10, (app) => tokenRequest(app, proof));
  expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
  expect(answers.filter((res) => res.status === 400 && res.body.error === 'invalid_dpop_proof')).toHaveLength(9);
});
