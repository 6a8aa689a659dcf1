import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, exportJWK, exportSPKI, generateKeyPair, generateSecret, jwtVerify, SignJWT, type JWK } from 'jose';
import { OAuthServerOptionsError } from '../../lib/options/checks';
import { memoryStore } from '../../lib/stores/memory/store';
import { checked, keySet, privateKeyFor, TEST_ALGORITHMS } from '../helpers/signing-keys';

const sign = async (keys: ReturnType<typeof keySet>) => {
  const { kid, alg, key } = await keys.signingKey();
  return new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).setIssuedAt().setExpirationTime('5m').sign(key);
};

describe('host keys (signingKeys.keys)', () => {
  test.each(TEST_ALGORITHMS)('a %s JWK with its alg signs, and the token verifies with the published JWKS', async (alg) => {
    const { jwk } = await privateKeyFor(alg);
    const keys = keySet({ keys: [{ ...jwk, alg, kid: 'given-kid' }] });
    const token = await sign(keys);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: 'given-kid' });
    await expect(jwtVerify(token, createLocalJWKSet(await keys.publicJwks()))).resolves.toMatchObject({ payload: { sub: 'alice' } });
  });

  test.each(TEST_ALGORITHMS)('a %s PKCS#8 PEM takes its alg from `algorithm`, its kid from its RFC 7638 thumbprint', async (alg) => {
    const { jwk, pem } = await privateKeyFor(alg);
    const keys = keySet({ keys: [pem], algorithm: alg });
    const token = await sign(keys);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: await calculateJwkThumbprint(jwk) });
    await expect(jwtVerify(token, createLocalJWKSet(await keys.publicJwks()))).resolves.toBeDefined();
  });

  test('a JWK without alg takes `algorithm`, ES256 by default', async () => {
    const { jwk } = await privateKeyFor('ES256');
    await expect(keySet({ keys: [jwk] }).signingKey()).resolves.toMatchObject({ alg: 'ES256' });
    const rsa = await privateKeyFor('RS256');
    await expect(keySet({ keys: [rsa.jwk], algorithm: 'PS256' }).signingKey()).resolves.toMatchObject({ alg: 'PS256' });
  });

  test('the first key signs; every key is published, so tokens of the previous first key still verify', async () => {
    const [older, newer] = await Promise.all([privateKeyFor('ES256'), privateKeyFor('EdDSA')]);
    const before = keySet({ keys: [{ ...older.jwk, kid: 'old' }] });
    const oldToken = await sign(before);
    const after = keySet({ keys: [{ ...newer.jwk, kid: 'new', alg: 'EdDSA' }, { ...older.jwk, kid: 'old' }] });
    expect((await after.signingKey()).kid).toBe('new');
    const jwks = await after.publicJwks();
    expect(jwks.keys.map((key) => key.kid)).toEqual(['new', 'old']);
    await expect(jwtVerify(oldToken, createLocalJWKSet(jwks))).resolves.toBeDefined();
    await expect(jwtVerify(await sign(after), createLocalJWKSet(jwks))).resolves.toBeDefined();
  });

  test('verificationKey: a published key only when both kid and alg match (RFC 8725 §3.1)', async () => {
    const { jwk } = await privateKeyFor('RS256');
    const keys = keySet({ keys: [{ ...jwk, kid: 'k', alg: 'RS256' }] });
    const token = await sign(keys);
    const key = await keys.verificationKey({ kid: 'k', alg: 'RS256' });
    expect(key).toBeDefined();
    await expect(jwtVerify(token, key as NonNullable<typeof key>)).resolves.toBeDefined();
    await expect(keys.verificationKey({ kid: 'k', alg: 'PS256' })).resolves.toBeUndefined();
    await expect(keys.verificationKey({ kid: 'k', alg: 'none' })).resolves.toBeUndefined();
    await expect(keys.verificationKey({ kid: 'other', alg: 'RS256' })).resolves.toBeUndefined();
    await expect(keys.verificationKey({ alg: 'RS256' })).resolves.toBeUndefined();
  });

  test('the signing key is imported once: the same key object signs every token', async () => {
    const keys = keySet({ keys: [(await privateKeyFor('ES256')).jwk] });
    expect((await keys.signingKey()).key).toBe((await keys.signingKey()).key);
  });
});

describe('host keys refused at start-up, naming the key, never quoting it', () => {
  /** Every value of a key that must stay secret: private members, and the PEM's base64 lines. */
  const secretsOf = (key: JWK | string): string[] =>
    typeof key === 'string'
      ? key.split('\n').filter((line) => line.length > 0 && !line.startsWith('-----'))
      : (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const).flatMap((member) => (typeof key[member] === 'string' ? [key[member] as string] : []));

  const refusals: [string, () => Promise<{ keys: (JWK | string)[]; algorithm?: string }>, RegExp][] = [
    ['a symmetric key (kty oct)', async () => ({ keys: [{ ...(await exportJWK(await generateSecret('HS256', { extractable: true }))), alg: 'HS256' }] }), /keys\.0` is a symmetric key/],
    ['a public JWK', async () => {
      const { jwk } = await privateKeyFor('ES256');
      const { d: _d, ...publicJwk } = jwk;
      return { keys: [publicJwk] };
    }, /keys\.0` is a public key \(no "d"\)/],
    ['a public PEM', async () => ({ keys: [await exportSPKI((await generateKeyPair('ES256')).publicKey)] }), /keys\.0` is a public key or certificate/],
    ['an EC key given alg RS256', async () => ({ keys: [{ ...(await privateKeyFor('ES256')).jwk, alg: 'RS256' }] }), /is an EC prime256v1 key, which cannot sign RS256/],
    ['an RSA PEM under the default ES256', async () => ({ keys: [(await privateKeyFor('RS256')).pem] }), /is an RSA 2048-bit key, which cannot sign ES256/],
    ['an Ed25519 key given alg ES256', async () => ({ keys: [{ ...(await privateKeyFor('EdDSA')).jwk, alg: 'ES256' }] }), /is an Ed25519 key, which cannot sign ES256/],
    ['an Ed448 key for EdDSA (only Ed25519 is offered)', async () => ({ keys: [generateKeyPairSync('ed448').privateKey.export({ format: 'jwk' }) as JWK], algorithm: 'EdDSA' }), /is a key of type ed448, which cannot sign EdDSA: EdDSA needs an Ed25519 \(OKP\) key/],
    ['a P-384 key for ES256', async () => ({ keys: [(await privateKeyFor('ES384')).jwk] }), /is an EC secp384r1 key, which cannot sign ES256/],
    ['an RSA key of 1024 bits', async () => ({ keys: [generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' }) as JWK], algorithm: 'RS256' }), /RSA keys must have at least 2048 bits/],
    ['alg none', async () => ({ keys: [{ ...(await privateKeyFor('ES256')).jwk, alg: 'none' }] }), /has alg "none"/],
    ['an algorithm not offered', async () => ({ keys: [{ ...(await privateKeyFor('ES384')).jwk, alg: 'ES384' }] }), /has alg "ES384": use ES256, RS256, PS256 or EdDSA/],
    ['a key for encryption', async () => ({ keys: [{ ...(await privateKeyFor('ES256')).jwk, use: 'enc' }] }), /has use "enc"/],
    ['two keys with one kid', async () => ({ keys: [{ ...(await privateKeyFor('ES256')).jwk, kid: 'k' }, { ...(await privateKeyFor('ES256')).jwk, kid: 'k' }] }), /keys\.1` has the kid "k" of `keys\.0`/],
    ['one key twice', async () => {
      const { jwk, pem } = await privateKeyFor('ES256');
      return { keys: [{ ...jwk, kid: 'a' }, pem] };
    }, /keys\.1` is the same key as `keys\.0`/],
    ['a PKCS#1 RSA PEM', async () => ({ keys: [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }) as string], algorithm: 'RS256' }), /is not PKCS#8: convert it/],
    ['an encrypted PKCS#8 PEM', async () => ({
      keys: [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pass' }) as string],
    }), /is an encrypted PKCS#8 key/],
    ['a JWK that Node cannot read', async () => ({ keys: [{ ...(await privateKeyFor('ES256')).jwk, x: 'AAAA' }] }), /is not a valid private JWK/],
    ['a string that is no key', async () => ({ keys: ['not a key'] }), /must be a private key: a JWK object or a PKCS#8 PEM string/],
    ['an empty list', async () => ({ keys: [] }), /keys` must be a non-empty array/],
  ];

  test.each(refusals)('%s', async (_name, make, message) => {
    const options = await make();
    let error: unknown;
    try {
      checked(options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OAuthServerOptionsError);
    const text = `${(error as Error).message} ${(error as Error).stack ?? ''}`;
    expect(text).toMatch(/^oauthServer: option `signingKeys(\.keys(\.\d)?)?`/);
    expect(text).toMatch(message);
    for (const secret of options.keys.flatMap(secretsOf)) expect(text).not.toContain(secret);
  });

  test('a given kid equal to another key\'s thumbprint is refused when the keys are imported, without key material', async () => {
    const [first, second] = await Promise.all([privateKeyFor('ES256'), privateKeyFor('ES256')]);
    const keys = keySet({ keys: [first.jwk, { ...second.jwk, kid: await calculateJwkThumbprint(first.jwk) }] });
    const error = await keys.signingKey().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthServerOptionsError);
    expect((error as Error).message).toMatch(/`signingKeys\.keys\.1` has the kid "[\w-]+" of `keys\.0`/);
    for (const secret of [first.jwk.d, second.jwk.d]) expect((error as Error).message).not.toContain(secret);
    await expect(keys.publicJwks()).rejects.toThrow(OAuthServerOptionsError);
  });

  test.each(['ES256', 'RS256', 'EdDSA'])('a %s JWK whose private part does not match its public part is refused when imported, without key material', async (alg) => {
    const [given, other] = await Promise.all([privateKeyFor(alg), privateKeyFor(alg)]);
    // The other key's private part under the given key's public part.
    const { x, y, n } = given.jwk;
    const damaged = { ...other.jwk, alg, ...(x !== undefined && { x }), ...(y !== undefined && { y }), ...(n !== undefined && { n }) };
    const keys = keySet({ keys: [damaged] });
    const error = await keys.signingKey().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthServerOptionsError);
    expect((error as Error).message).toMatch(/`signingKeys\.keys\.0` could not be imported: its private part is damaged or does not match its public part/);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      if (other.jwk[member] !== undefined) expect((error as Error).message).not.toContain(other.jwk[member]);
    }
  });

  test('options of generated keys are refused beside `keys`', async () => {
    const { jwk } = await privateKeyFor('ES256');
    expect(() => checked({ keys: [jwk], rotateAfterSeconds: 7200 })).toThrow(/`signingKeys\.rotateAfterSeconds` is only used with generated keys/);
    expect(() => checked({ keys: [jwk], keepPrivateKeysInStore: true })).toThrow(/`signingKeys\.keepPrivateKeysInStore` is only used with generated keys/);
    expect(() => checked({ keys: [jwk], algorithm: 'HS256' })).toThrow(/`signingKeys\.algorithm` must be 'ES256' or 'RS256' or 'PS256' or 'EdDSA'/);
    expect(() => checked({ key: [jwk] })).toThrow(/`signingKeys\.key` is not an option: use keys, algorithm, rotateAfterSeconds, keepPrivateKeysInStore/);
    expect(() => checked({ keys: [jwk] }, memoryStore())).not.toThrow();
  });
});
