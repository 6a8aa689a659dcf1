// The module object itself (not an import namespace copy), so that the spy is what lib/ calls.
import crypto = require('node:crypto');
import { generateClientSecret, hashClientSecretSync, hashConfiguredSecret, isClientSecretHash, SecretVerifier } from '../../lib/clients/secrets';
import { normalizeClient } from '../../lib/clients/client';

/*
 * RFC 6749 §10.10 (credentials guessing): a secret check must not reveal how much of a guess was
 * right. Checked deterministically rather than by timing: every verification ends in exactly
 * one crypto.timingSafeEqual over two digests of the same length, whatever the guess, so no
 * comparison can stop at the first differing byte or at a length mismatch.
 */
describe('client secret comparison is constant time', () => {
  const generated = generateClientSecret();
  const person = 'Tr0ub4dor&3-correct-horse';
  const scryptHash = 'scrypt$16384$8$1$hp_WdtW_NmBkXKM6F28H5Q$AHpsi-57CewqEUBVU4iTTJFLtvnUB-pSgXPjKo7haEY';
  const remembering = new SecretVerifier();
  beforeAll(() => remembering.verify(person, scryptHash));

  let compare: jest.SpyInstance<boolean, Parameters<typeof crypto.timingSafeEqual>>;
  beforeEach(() => {
    compare = jest.spyOn(crypto, 'timingSafeEqual');
  });
  afterEach(() => compare.mockRestore());

  const guessesFor = (secret: string): [string, string, boolean][] => [
    ['first byte wrong', 'X' + secret.slice(1), false],
    ['last byte wrong', secret.slice(0, -1) + 'X', false],
    ['a prefix', secret.slice(0, 3), false],
    ['longer', secret + 'X', false],
    ['one space', ' ', false],
    ['right', secret, true],
  ];

  function expectOneFullComparison(secret: string): void {
    expect(compare).toHaveBeenCalledTimes(1);
    const [a, b] = compare.mock.calls[0] as [Buffer, Buffer];
    expect(a.length).toBe(32);
    expect(b.length).toBe(32);
    // Digests are compared, never the presented secret itself.
    expect(a.includes(Buffer.from(secret.slice(0, 8)))).toBe(false);
  }

  test.each(guessesFor(generated.secret))('sha256 hash, guess %s: one comparison of equal-length digests', async (_name, guess, right) => {
    await expect(new SecretVerifier().verify(guess, generated.hash)).resolves.toBe(right);
    expectOneFullComparison(generated.secret);
  });

  test.each(guessesFor(person))('scrypt hash, guess %s: one comparison of equal-length digests', async (_name, guess, right) => {
    await expect(new SecretVerifier().verify(guess, scryptHash)).resolves.toBe(right);
    expectOneFullComparison(person);
  });

  test.each(guessesFor(person))('scrypt hash remembered after a success, guess %s: still one full comparison', async (_name, guess, right) => {
    await expect(remembering.verify(guess, scryptHash)).resolves.toBe(right);
    expectOneFullComparison(person);
  });

  test.each(guessesFor(person))('plaintext secret of static config, guess %s: one comparison, checked or told right', async (_name, guess, right) => {
    const configured = hashConfiguredSecret(person);
    await expect(new SecretVerifier().verify(guess, configured)).resolves.toBe(right);
    expectOneFullComparison(person);
    compare.mockClear();
    expect(new SecretVerifier().isRememberedRight(guess, configured)).toBe(right);
    expectOneFullComparison(person);
  });
});

/*
 * A plaintext secret of static config is hashed at start-up with a salted SHA-256, not scrypt: the
 * plaintext is in the host's config and the hash never leaves the process, so a slow hash would
 * slow no one down, while each scrypt keeps a 16 MiB buffer in the process's RSS. A person may
 * have chosen it: it stays guessable, under the brute-force limits (RFC 6749 §10.10).
 */
describe('plaintext secrets of static config', () => {
  const metadata = { client_id: 'svc', client_secret: 'chosen by a person', grant_types: ['client_credentials'], scope: 'read' };

  test('are hashed without scrypt, and stay guessable', () => {
    const scrypt = jest.spyOn(crypto, 'scryptSync');
    try {
      const { secretHash } = normalizeClient(metadata, { hashPlaintextSecret: true });
      expect(scrypt).not.toHaveBeenCalled();
      expect(secretHash).toMatch(/^chosen-sha256\$/);
      expect(new SecretVerifier().isUnguessable(secretHash as string)).toBe(false);
    } finally {
      scrypt.mockRestore();
    }
  });

  test('their hash is never taken from the host: a lookup cannot return one, and in static config it is a plaintext secret', () => {
    const configured = hashConfiguredSecret('chosen by a person');
    expect(isClientSecretHash(configured)).toBe(false);
    expect(() => normalizeClient({ ...metadata, client_secret: configured }, { hashPlaintextSecret: false })).toThrow('must be a hash from hashClientSecret()');
    const rehashed = normalizeClient({ ...metadata, client_secret: configured }, { hashPlaintextSecret: true }).secretHash as string;
    expect(rehashed).not.toBe(configured);
    return expect(new SecretVerifier().verify(configured, rehashed)).resolves.toBe(true);
  });
});

/*
 * A burst of requests with a client's scrypt-hashed secret, before the first check ends, derives
 * it once: each derivation costs 50 ms of CPU and a 16 MiB buffer the process keeps.
 */
describe('scrypt derivations in flight', () => {
  const person = 'Tr0ub4dor&3-correct-horse';
  const scryptHash = hashClientSecretSync(person);

  test('the same secret presented at once is derived once; another secret has its own derivation', async () => {
    const scrypt = jest.spyOn(crypto, 'scrypt');
    try {
      const verifier = new SecretVerifier();
      const answers = await Promise.all([person, person, person, 'a guess', person, 'a guess'].map((secret) => verifier.verify(secret, scryptHash)));
      expect(answers).toEqual([true, true, true, false, true, false]);
      expect(scrypt).toHaveBeenCalledTimes(2);
    } finally {
      scrypt.mockRestore();
    }
  });
});

describe('a scrypt hash', () => {
  test('a hash from elsewhere is checked with scrypt once, then remembered', async () => {
    const scrypt = jest.spyOn(crypto, 'scrypt');
    try {
      // Made in another process, for 'another-person-chosen-secret'.
      const fromElsewhere = 'scrypt$16384$8$1$LWesUMWignIXv4g2fpa11A$u4DRsxpkapK3NNytwjrTU4HzHYrYvvzuOZKp0GSzSCY';
      const verifier = new SecretVerifier();
      await expect(verifier.verify('not it', fromElsewhere)).resolves.toBe(false);
      await expect(verifier.verify('another-person-chosen-secret', fromElsewhere)).resolves.toBe(true);
      await expect(verifier.verify('another-person-chosen-secret', fromElsewhere)).resolves.toBe(true);
      expect(scrypt).toHaveBeenCalledTimes(2);
    } finally {
      scrypt.mockRestore();
    }
  });
});
