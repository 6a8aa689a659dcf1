import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { remoteResourceServer, type ResourceServer } from '../../lib/resource/resource-server';
import { fakeIssuer, type FakeIssuer } from '../helpers/fake-issuer';

/*
 * Hostile JWTs against resourceServer() (issue 14): a valid token's parts mutated, swapped and
 * rebuilt with made-up headers. None may open the route unless it is the same token byte for
 * byte, none may give a 5xx, and all of them together cost one JWKS fetch at most.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FUZZ_SEED);
const RESOURCE = 'https://api.example.test/reports';

let fake: FakeIssuer;
let api: ResourceServer;
let app: express.Express;
let valid: string;
const unexpected: unknown[] = [];
beforeAll(async () => {
  fake = await fakeIssuer();
  // A cooldown longer than any run: every unknown kid after the first fetch is refused without fetching.
  api = remoteResourceServer(
    { issuer: fake.issuer, resource: RESOURCE, allowHttpLoopback: true, onError: (error) => unexpected.push(error) },
    { timings: { keysCooldownMs: 3_600_000 } },
  );
  app = express();
  app.get('/reports', api.requireToken(), (req, res) => res.json(req.oauth));
  const now = Math.floor(Date.now() / 1000);
  valid = await fake.sign({ iss: fake.issuer, aud: RESOURCE, sub: 'alice', client_id: 'app', scope: 'read', iat: now, exp: now + 3600, jti: 'j1' });
});
afterAll(async () => {
  await api.close();
  await fake.close();
});

const b64 = (value: string) => Buffer.from(value).toString('base64url');
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const segment = fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 200 });
const headerJson = fc.record(
  {
    alg: fc.oneof(fc.constantFrom('ES256', 'RS256', 'PS256', 'EdDSA', 'HS256', 'none', 'NONE', 'ES384', ''), fc.string(), fc.integer()),
    kid: fc.oneof(fc.constant('k1'), fc.string(), fc.integer(), fc.constant(null)),
    typ: fc.oneof(fc.constantFrom('at+jwt', 'application/at+jwt', 'JWT', 'AT+JWT'), fc.string()),
    crit: fc.array(fc.string(), { maxLength: 2 }),
    jwk: fc.constant({ kty: 'oct', k: 'AAAA' }),
    b64: fc.boolean(),
  },
  { requiredKeys: [] },
);

const hostileToken: fc.Arbitrary<string> = fc.oneof(
  // One character of the valid token changed.
  fc.tuple(fc.nat(), fc.constantFrom(...B64URL)).map(([at, char]) => {
    const position = at % valid.length;
    return valid[position] === '.' ? valid : valid.slice(0, position) + char + valid.slice(position + 1);
  }),
  // A made-up header on the valid payload and signature.
  headerJson.map((header) => {
    const [, payload, signature] = valid.split('.');
    return `${b64(JSON.stringify(header))}.${payload}.${signature}`;
  }),
  // The valid header and signature on a made-up payload.
  fc.jsonValue().map((payload) => {
    const [header, , signature] = valid.split('.');
    return `${header}.${b64(JSON.stringify(payload))}.${signature}`;
  }),
  // Three random segments.
  fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
  // The signature dropped or truncated.
  fc.nat().map((cut) => valid.slice(0, valid.lastIndexOf('.') + 1 + (cut % 20))),
);

const sameBytes = (token: string) => token.split('.').every((part, index) => Buffer.from(part, 'base64url').equals(Buffer.from(valid.split('.')[index] as string, 'base64url')));

test('hostile JWTs: 401 (200 only for the valid token\'s own bytes), never 5xx, one JWKS fetch at most', async () => {
  expect((await request(app).get('/reports').set('Authorization', `Bearer ${valid}`)).status).toBe(200);
  const property = fc.asyncProperty(hostileToken, async (token) => {
    const res = await request(app).get('/reports').set('Authorization', `Bearer ${token}`);
    if (res.status === 200) expect(sameBytes(token)).toBe(true);
    else expect(res.status).toBe(401);
  });
  try {
    await fc.assert(property, { numRuns: RUNS, seed: SEED });
  } catch (error) {
    throw new Error(`fuzz resourceServer tokens failed; replay with FUZZ_SEED=${SEED}\n${(error as Error).message}`);
  }
  expect(fake.counts.jwks).toBe(1);
  expect(unexpected).toEqual([]);
}, 120_000);
