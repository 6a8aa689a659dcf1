import { createSecretKey } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { ACCESS_TOKEN_ALGORITHMS } from '../../lib/tokens/jwt-access-token';
import { dpopProofChecker, normalizedHtu, DPOP_IAT_WINDOW_SECONDS, type DpopProofRequest } from '../../lib/dpop/proof';
import { dpopNonces } from '../../lib/dpop/nonce';
import { InvalidDpopProofError, UseDpopNonceError } from '../../lib/errors';
import { dpopKey, type DpopKey } from '../helpers/dpop';

const URL = 'https://as.example/oauth/token';
const NOW = Math.floor(Date.now() / 1000);

/** A checker with replay records in a set, as a store would keep them; the clock is fixed at NOW. */
function checker(options: { nonces?: boolean } = {}) {
  const remembered = new Map<string, number>();
  const nonces = options.nonces === true ? dpopNonces(() => NOW, 60, 'shared-secret') : undefined;
  const check = dpopProofChecker({
    algorithms: ACCESS_TOKEN_ALGORITHMS,
    clock: () => NOW,
    nonces,
    async rememberOnce(key, expiresAt) {
      if (remembered.has(key)) return false;
      remembered.set(key, expiresAt);
      return true;
    },
  });
  return { check, remembered, nonces };
}

const request = (proof: string | string[] | undefined, extra: Partial<DpopProofRequest> = {}): DpopProofRequest => ({
  headers: proof === undefined ? undefined : typeof proof === 'string' ? [proof] : proof,
  method: 'POST',
  url: URL,
  ...extra,
});

async function expectRefused(promise: Promise<unknown>, description: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InvalidDpopProofError);
  expect((error as InvalidDpopProofError).code).toBe('invalid_dpop_proof');
  expect((error as InvalidDpopProofError).description).toMatch(description);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('DPoP proof (RFC 9449 §4.3)', () => {
  let key: DpopKey;
  beforeAll(async () => {
    key = await dpopKey();
  });

  it('accepts a good proof and answers the RFC 7638 thumbprint of its key', async () => {
    await expect(checker().check(request(await key.proof('POST', URL, { iat: NOW })))).resolves.toBe(key.jkt);
  });

  it.each(['ES384', 'EdDSA', 'PS256', 'RS256'])('accepts an asymmetric algorithm: %s', async (alg) => {
    const other = await dpopKey(alg);
    await expect(checker().check(request(await other.proof('POST', URL, { iat: NOW })))).resolves.toBe(other.jkt);
  });

  it('refuses a replayed proof: its jti is remembered until its iat leaves the window (§11.1)', async () => {
    const { check, remembered } = checker();
    const proof = await key.proof('POST', URL, { iat: NOW });
    await check(request(proof));
    await expectRefused(check(request(proof)), /already used/);
    expect([...remembered.values()]).toEqual([NOW + DPOP_IAT_WINDOW_SECONDS + 1]);
  });

  it('refuses a request without a proof, and one with two DPoP headers (§4.3 point 1)', async () => {
    const proof = await key.proof('POST', URL, { iat: NOW });
    await expectRefused(checker().check(request(undefined)), /exactly one/);
    await expectRefused(checker().check(request([proof, await key.proof('POST', URL, { iat: NOW })])), /exactly one/);
  });

  it('refuses a proof for another URL (§4.3 point 9)', async () => {
    await expectRefused(checker().check(request(await key.proof('POST', 'https://as.example/oauth/other', { iat: NOW }))), /htu/);
    await expectRefused(checker().check(request(await key.proof('POST', 'https://evil.example/oauth/token', { iat: NOW }))), /htu/);
    await expectRefused(checker().check(request(await key.proof('POST', 'not a url', { iat: NOW }))), /htu/);
  });

  it('compares htu without query or fragment, with scheme, host, port and escapes normalized', async () => {
    const proof = await key.proof('POST', 'HTTPS://AS.example:443/oauth/%74oken?x=1#frag', { iat: NOW });
    await expect(checker().check(request(proof))).resolves.toBe(key.jkt);
    expect(normalizedHtu('https://as.example/a%2fb')).toBe('https://as.example/a%2Fb');
    expect(normalizedHtu('https://as.example:8443/a')).not.toBe(normalizedHtu('https://as.example/a'));
    expect(normalizedHtu('http://as.example/token')).not.toBe(normalizedHtu('https://as.example/token'));
    expect(normalizedHtu('ftp://as.example/token')).toBeUndefined();
  });

  it('refuses a proof for another method (§4.3 point 8)', async () => {
    await expectRefused(checker().check(request(await key.proof('GET', URL, { iat: NOW }))), /htm/);
  });

  it(`refuses a stale iat (more than ${DPOP_IAT_WINDOW_SECONDS} s old) and accepts one at the edge (§4.3 point 11)`, async () => {
    await expectRefused(checker().check(request(await key.proof('POST', URL, { iat: NOW - DPOP_IAT_WINDOW_SECONDS - 1 }))), /not a valid/);
    await expect(checker().check(request(await key.proof('POST', URL, { iat: NOW - DPOP_IAT_WINDOW_SECONDS })))).resolves.toBe(key.jkt);
  });

  it('refuses an iat in the future beyond the window, accepts a clock a little ahead', async () => {
    await expectRefused(checker().check(request(await key.proof('POST', URL, { iat: NOW + DPOP_IAT_WINDOW_SECONDS + 1 }))), /not a valid/);
    await expect(checker().check(request(await key.proof('POST', URL, { iat: NOW + 30 })))).resolves.toBe(key.jkt);
  });

  it('refuses a proof without iat, jti, htm or htu', async () => {
    for (const claim of ['iat', 'jti', 'htm', 'htu']) {
      await expectRefused(checker().check(request(await key.proof('POST', URL, { iat: NOW, claims: { [claim]: undefined } }))), /not a valid/);
    }
  });

  it('refuses a jti longer than 256 characters, and an empty one', async () => {
    await expectRefused(checker().check(request(await key.proof('POST', URL, { iat: NOW, claims: { jti: 'x'.repeat(257) } }))), /jti/);
    await expectRefused(checker().check(request(await key.proof('POST', URL, { iat: NOW, claims: { jti: '' } }))), /jti/);
  });

  it('refuses a private key in the jwk (§4.3 point 7)', async () => {
    const privateJwk = await exportJWK(key.privateKey);
    expect(privateJwk.d).toBeDefined();
    await expectRefused(checker().check(request(await key.proof('POST', URL, { iat: NOW, header: { jwk: privateJwk } }))), /public key/);
  });

  it('refuses a proof without a jwk, and one whose jwk is not the signing key', async () => {
    await expectRefused(checker().check(request(await key.proof('POST', URL, { iat: NOW, header: { jwk: undefined } }))), /not a valid/);
    const other = await dpopKey();
    await expectRefused(checker().check(request(await key.proof('POST', URL, { iat: NOW, header: { jwk: other.publicJwk } }))), /not a valid/);
  });

  it('refuses alg none (§4.3 point 5)', async () => {
    const unsigned = `${base64url({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${base64url({ jti: 'a', htm: 'POST', htu: URL, iat: NOW })}.`;
    await expectRefused(checker().check(request(unsigned)), /not a valid/);
  });

  it('refuses a symmetric algorithm: HS256 with a key anyone could make (§4.3 point 5)', async () => {
    const secret = createSecretKey(Buffer.alloc(32, 1));
    const proof = await new SignJWT({ jti: 'b', htm: 'POST', htu: URL, iat: NOW })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: Buffer.alloc(32, 1).toString('base64url') } as object })
      .sign(secret);
    await expectRefused(checker().check(request(proof)), /not a valid|public key/);
    const withPublicJwk = await new SignJWT({ jti: 'c', htm: 'POST', htu: URL, iat: NOW })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.publicJwk })
      .sign(secret);
    await expectRefused(checker().check(request(withPublicJwk)), /not a valid/);
  });

  it('refuses a wrong typ (§4.3 point 4)', async () => {
    await expectRefused(checker().check(request(await key.proof('POST', URL, { iat: NOW, header: { typ: 'JWT' } }))), /not a valid/);
    await expectRefused(checker().check(request(await key.proof('POST', URL, { iat: NOW, header: { typ: undefined } }))), /not a valid/);
  });

  it('refuses what is not a compact JWS', async () => {
    await expectRefused(checker().check(request('not-a-jwt')), /not a valid/);
    await expectRefused(checker().check(request('a.b.c')), /not a valid/);
  });

  it('checks ath against the access token at a resource (§4.3 point 12)', async () => {
    const resource = { method: 'GET', url: 'https://api.example/data' };
    const good = await key.proof('GET', resource.url, { iat: NOW, accessToken: 'the-token' });
    await expect(checker().check(request(good, { ...resource, accessToken: 'the-token' }))).resolves.toBe(key.jkt);
    const other = await key.proof('GET', resource.url, { iat: NOW, accessToken: 'another-token' });
    await expectRefused(checker().check(request(other, { ...resource, accessToken: 'the-token' })), /ath/);
    const none = await key.proof('GET', resource.url, { iat: NOW });
    await expectRefused(checker().check(request(none, { ...resource, accessToken: 'the-token' })), /ath/);
  });

  it('asks for the nonce when nonces are required: use_dpop_nonce with a DPoP-Nonce header (§8)', async () => {
    const { check, nonces, remembered } = checker({ nonces: true });
    const missing = await check(request(await key.proof('POST', URL, { iat: NOW }))).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(UseDpopNonceError);
    expect((missing as UseDpopNonceError).headers['DPoP-Nonce']).toBe(nonces?.current());
    const wrong = await check(request(await key.proof('POST', URL, { iat: NOW, claims: { nonce: 'made-up' } }))).catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(UseDpopNonceError);
    // A refused proof is not remembered: the client's retry is not a replay.
    expect(remembered.size).toBe(0);
    await expect(check(request(await key.proof('POST', URL, { iat: NOW, claims: { nonce: nonces?.current() } })))).resolves.toBe(key.jkt);
  });
});

test('a jwk WebCrypto cannot import (found by the DPoP fuzz target) is invalid_dpop_proof, not a server error', async () => {
  const key = await dpopKey();
  const proof = await key.proof('POST', URL, { iat: NOW, header: { jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } } });
  await expectRefused(checker().check(request(proof)), /not a valid/);
});

test('a key seen before is not let through by its imported copy: the same key with use "enc" or another alg is still refused', async () => {
  const key = await dpopKey();
  const { check } = checker();
  await expect(check(request(await key.proof('POST', URL, { iat: NOW })))).resolves.toBe(key.jkt);
  await expectRefused(check(request(await key.proof('POST', URL, { iat: NOW, header: { jwk: { ...key.publicJwk, use: 'enc' } } }))), /not a valid/);
  await expectRefused(check(request(await key.proof('POST', URL, { iat: NOW, header: { jwk: { ...key.publicJwk, alg: 'ES384' } } }))), /not a valid/);
  await expectRefused(check(request(await key.proof('POST', URL, { iat: NOW, header: { jwk: { ...key.publicJwk, d: 'AAAA' } } }))), /public key/);
  // And the same key again is still good, with the same thumbprint.
  await expect(check(request(await key.proof('POST', URL, { iat: NOW })))).resolves.toBe(key.jkt);
});
