import request from 'supertest';
import type { Express } from 'express';
import { useStores } from '../helpers/stores';
import { sendAtOnce, twoInstances } from '../helpers/two-instances';
import { ISSUER, expectOAuthErrorBody, testApp } from '../helpers/test-app';
import { assertionClaims, assertionForm, assertionSigner, type AssertionSigner } from '../helpers/assertions';

/** Two instances on one Redis, as behind a load balancer: a client assertion's jti is used once, wherever (RFC 7523 §3 item 7). */
const stores = useStores();
let signer: AssertionSigner;
beforeAll(async () => {
  signer = await assertionSigner('EdDSA');
});

const CLIENT = { client_id: 'keyed', token_endpoint_auth_method: 'private_key_jwt' as const, grant_types: ['client_credentials'], scope: 'read' };
const instances = () => twoInstances(stores, (store) => testApp({ store, clients: [{ ...CLIENT, jwks: { keys: [signer.publicJwk] } }] }).app);
const goodAssertion = () => signer.sign(assertionClaims('keyed', ISSUER, Math.floor(Date.now() / 1000)));
const send = (app: Express, assertion: string) => request(app).post('/oauth/token').type('form').send(assertionForm(assertion, { grant_type: 'client_credentials' }));

test('an assertion used at one instance is a replay at the other', async () => {
  const [a, b] = instances();
  const assertion = await goodAssertion();
  expect((await send(a, assertion)).status).toBe(200);
  const replay = await send(b, assertion);
  expect(replay.status).toBe(401);
  expectOAuthErrorBody(replay.body, 'invalid_client');
});

test('one assertion sent 10 times at once, to both instances: exactly one token, nine invalid_client', async () => {
  const assertion = await goodAssertion();
  const answers = await sendAtOnce(instances(), 10, (app) => send(app, assertion));
  const statuses = answers.map((res) => res.status).sort();
  expect(statuses).toEqual([200, ...Array(9).fill(401)]);
});
