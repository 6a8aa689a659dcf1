import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { exportJWK, SignJWT, type JWK } from 'jose';
import type { Express } from 'express';
import { accessTokenHash } from '../../lib/dpop/proof';
import { memoryStore } from '../../lib/stores/memory/store';
import { dpopKey, type DpopKey } from '../helpers/dpop';
import { FLOW_CLIENTS, FLOW_ISSUER, flowOptions, testApp } from '../helpers/test-app';

/*
 * Property-based fuzzing of DPoP proofs (RFC 9449 §4.3) at a protected route and at the token
 * endpoint: every generated proof mutates the header (alg, typ, jwk) and the claims (htm, htu,
 * iat, jti, ath, nonce shape) of a good one, or is not a JWS at all. No answer is a 5xx; a
 * proof passes exactly when every rule holds (so the check is not vacuous); a refusal is a
 * spec-shaped invalid_dpop_proof (or invalid_token for a key that is not the token's).
 * FUZZ_RUNS and FUZZ_SEED as in fuzz.test.ts.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FUZZ_SEED);
const ORIGIN = new URL(FLOW_ISSUER).origin;
const ROUTE = `${ORIGIN}/api/read`;
const TOKEN_URL = `${FLOW_ISSUER}/token`;
const DESCRIPTION = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;

let app: Express;
let key: DpopKey;
let other: DpopKey;
let privateJwk: JWK;
let token: string;
/** A jti used once already, so a proof carrying it is a replay. */
const USED_JTI = 'used-jti';

beforeAll(async () => {
  app = testApp({ ...flowOptions(() => memoryStore()), clients: FLOW_CLIENTS, now: undefined }).app;
  key = await dpopKey();
  other = await dpopKey();
  privateJwk = await exportJWK(key.privateKey);
  const res = await request(app).post('/oauth/token').auth('svc', 'svc-secret').type('form').set('DPoP', await key.proof('POST', TOKEN_URL)).send({ grant_type: 'client_credentials', scope: 'read' });
  token = res.body.access_token;
  // Remember USED_JTI: the first proof with it passes.
  const first = await request(app).get('/api/read').set('Authorization', `DPoP ${token}`).set('DPoP', await key.proof('GET', ROUTE, { accessToken: token, claims: { jti: USED_JTI } }));
  expect(first.status).toBe(200);
});

interface Mutation {
  alg: string;
  typ: string | undefined;
  jwk: 'own' | 'other' | 'private' | 'missing' | 'symmetric' | 'junk';
  htm: 'right' | 'other' | 'lower' | 'empty';
  htu: 'right' | 'query' | 'path' | 'origin' | 'scheme' | 'case' | 'junk' | 'missing';
  iat: 'now' | 'old' | 'future' | 'near' | 'string' | 'missing';
  jti: 'fresh' | 'empty' | 'long' | 'number' | 'used' | 'missing';
  ath: 'right' | 'other' | 'missing';
  headers: 0 | 1 | 2;
  raw: string | undefined;
}

/** The request a proof is for. */
interface Target {
  method: 'GET' | 'POST';
  url: string;
  /** At a route: the token the proof goes with (`ath`). */
  accessToken?: string;
}

const anyMutation: fc.Arbitrary<Mutation> = fc.record({
  alg: fc.constantFrom('ES256', 'ES256', 'ES256', 'HS256', 'none', 'RS256', 'es256', ''),
  typ: fc.constantFrom('dpop+jwt', 'dpop+jwt', 'dpop+jwt', 'JWT', 'at+jwt', undefined),
  jwk: fc.constantFrom('own', 'own', 'own', 'other', 'private', 'missing', 'symmetric', 'junk'),
  htm: fc.constantFrom('right', 'right', 'right', 'other', 'lower', 'empty'),
  htu: fc.constantFrom('right', 'right', 'query', 'path', 'origin', 'scheme', 'case', 'junk', 'missing'),
  iat: fc.constantFrom('now', 'now', 'now', 'old', 'future', 'near', 'string', 'missing'),
  jti: fc.constantFrom('fresh', 'fresh', 'fresh', 'empty', 'long', 'number', 'used', 'missing'),
  ath: fc.constantFrom('right', 'right', 'other', 'missing'),
  headers: fc.constantFrom<0 | 1 | 2>(1, 1, 1, 1, 0, 2),
  raw: fc.option(fc.oneof(fc.string({ maxLength: 200 }), fc.stringMatching(/^[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}$/)), { freq: 8, nil: undefined }),
});

/** A proof that keeps every rule. */
const GOOD: Mutation = { alg: 'ES256', typ: 'dpop+jwt', jwk: 'own', htm: 'right', htu: 'right', iat: 'now', jti: 'fresh', ath: 'right', headers: 1, raw: undefined };
const FIELDS = Object.keys(GOOD) as (keyof Mutation)[];

/** A good proof with none, one, two or (now and then) every field mutated, so that passes and each refusal are all tried. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(anyMutation, fc.subarray(FIELDS, { maxLength: 2 })).map(([random, fields]) => ({ ...GOOD, ...Object.fromEntries(fields.map((field) => [field, random[field]])) })) },
  { weight: 1, arbitrary: anyMutation },
);

/**
 * Whether every rule of §4.3 holds for the generated proof: then, and only then, it must pass.
 * At the token endpoint there is no `ath`, and any key will do (the token is bound to it).
 */
function isGood(m: Mutation, target: Target): boolean {
  const atRoute = target.accessToken !== undefined;
  return (
    m.raw === undefined && m.headers === 1 && m.alg === 'ES256' && m.typ === 'dpop+jwt' && (m.jwk === 'own' || (!atRoute && m.jwk === 'other')) && m.htm === 'right' &&
    ['right', 'query', 'case'].includes(m.htu) && ['now', 'near'].includes(m.iat) && m.jti === 'fresh' && (!atRoute || m.ath === 'right')
  );
}

async function proofOf(m: Mutation, target: Target): Promise<string> {
  if (m.raw !== undefined) return m.raw;
  const now = Math.floor(Date.now() / 1000);
  const { url } = target;
  const signer = m.jwk === 'other' ? other : key;
  const jwk = { own: key.publicJwk, other: other.publicJwk, private: privateJwk, missing: undefined, symmetric: { kty: 'oct', k: 'AAAA' }, junk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } }[m.jwk];
  const htm = { right: target.method, other: target.method === 'GET' ? 'POST' : 'GET', lower: target.method.toLowerCase(), empty: '' }[m.htm];
  const htu = { right: url, query: `${url}?a=1#f`, path: `${url}/x`, origin: url.replace(ORIGIN, 'https://evil.example'), scheme: url.replace('https:', 'http:'), case: url.replace(ORIGIN, 'HTTPS://AS.EXAMPLE:443'), junk: '::', missing: undefined }[m.htu];
  const iat = { now, old: now - 61, future: now + 61, near: now - 59, string: String(now), missing: undefined }[m.iat];
  const jti = { fresh: randomBytes(16).toString('base64url'), empty: '', long: 'j'.repeat(257), number: 7, used: USED_JTI, missing: undefined }[m.jti];
  const ath = target.accessToken === undefined ? undefined : { right: accessTokenHash(target.accessToken), other: accessTokenHash(`${target.accessToken}x`), missing: undefined }[m.ath];
  const claims = Object.fromEntries(Object.entries({ jti, htm, htu, iat, ath }).filter(([, value]) => value !== undefined));
  const header = Object.fromEntries(Object.entries({ alg: m.alg, typ: m.typ, jwk }).filter(([, value]) => value !== undefined));
  // Signed with the key for ES256; any other alg keeps the ES256 signature under its own header.
  const signed = await new SignJWT(claims).setProtectedHeader({ ...header, alg: 'ES256' } as { alg: string }).sign(signer.privateKey);
  if (m.alg === 'ES256') return signed;
  const [, payload, signature] = signed.split('.');
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${m.alg === 'none' ? '' : signature}`;
}

/** What is wrong with an answer: a 5xx, a refused good proof, a passed bad one, an error that is not of `allowed` or not spec-shaped. */
function problemsOf(res: request.Response, good: boolean, allowed: string[]): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`a ${res.status}`);
  if (good && res.status !== 200) problems.push(`a good proof was refused: ${res.status} ${res.text}`);
  if (!good && res.status < 300) problems.push(`a bad proof passed: ${res.status}`);
  if (!good) {
    const body = res.body as { error?: string; error_description?: string };
    if (!allowed.includes(body.error ?? '')) problems.push(`unexpected error ${JSON.stringify(res.text)}`);
    if (typeof body.error_description !== 'string' || !DESCRIPTION.test(body.error_description)) problems.push('a malformed error_description');
  }
  return problems;
}

function withProofs(req: request.Test, proof: string, count: number): request.Test {
  if (count === 0) return req;
  // Two proofs go as two DPoP header lines.
  return req.set('DPoP', count === 1 ? proof : ([proof, proof] as unknown as string));
}

async function fuzz(send: (m: Mutation) => Promise<{ res: request.Response; good: boolean }>, allowed: string[]): Promise<number> {
  let good = 0;
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      const answer = await send(m);
      if (answer.good) good++;
      const problems = problemsOf(answer.res, answer.good, allowed);
      if (problems.length > 0) throw new Error(`${problems.join('; ')} for ${JSON.stringify(m)}`);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  return good;
}

test('protected route: hostile DPoP proofs never get a 5xx or a pass, good ones always pass', async () => {
  const target: Target = { method: 'GET', url: ROUTE, accessToken: token };
  const good = await fuzz(async (m) => {
    const res = await withProofs(request(app).get('/api/read?a=1').set('Authorization', `DPoP ${token}`), await proofOf(m, target), m.headers);
    return { res, good: isGood(m, target) };
    // A proof of another valid key is not the token's key: invalid_token.
  }, ['invalid_dpop_proof', 'invalid_token']);
  expect(good).toBeGreaterThan(0);
}, 60_000);

test('token endpoint: hostile DPoP proofs never get a 5xx or a token, good ones get a DPoP token', async () => {
  const target: Target = { method: 'POST', url: TOKEN_URL };
  const good = await fuzz(async (m) => {
    const req = request(app).post('/oauth/token').auth('svc', 'svc-secret').type('form');
    const res = await withProofs(req, await proofOf(m, target), m.headers).send({ grant_type: 'client_credentials', scope: 'read' });
    // Without any proof the client gets a Bearer token, as before DPoP.
    if (m.headers === 0) return { res, good: res.body.token_type === 'Bearer' };
    if (isGood(m, target) && res.body.token_type !== 'DPoP') throw new Error('a good proof did not bind the token');
    return { res, good: isGood(m, target) };
  }, ['invalid_dpop_proof']);
  expect(good).toBeGreaterThan(0);
}, 60_000);
