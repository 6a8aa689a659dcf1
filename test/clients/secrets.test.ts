// The module object itself (not an import namespace copy), so that the spy is what lib/ calls.
import crypto = require('node:crypto');
import { generateClientSecret, hashClientSecretSync, SecretVerifier } from '../../lib/clients/secrets';

/*
 * RFC 6749 §10.10 (credentials guessing): a secret check must not reveal how much of a guess was
 * right. Checked deterministically rather than by timing: every verification ends in exactly
 * one crypto.timingSafeEqual over two digests of the same length, whatever the guess, so no
 * comparison can stop at the first differing byte or at a length mismatch.
 */
describe('client secret comparison is constant time', () => {
  const generated = generateClientSecret();
  const person = 'Tr0ub4dor&3-correct-horse';
  // Made in another process: a hash made here would be remembered right (see below).
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
});

describe('a secret hashed in this process', () => {
  test('is known right for its hash: its first check runs no scrypt, and a wrong one is still refused', async () => {
    const person = 'a secret a person chose, in plaintext in the config';
    const hash = hashClientSecretSync(person);
    const scrypt = jest.spyOn(crypto, 'scrypt');
    try {
      await expect(new SecretVerifier().verify(person, hash)).resolves.toBe(true);
      await expect(new SecretVerifier().verify(`${person}!`, hash)).resolves.toBe(false);
      expect(scrypt).not.toHaveBeenCalled();
    } finally {
      scrypt.mockRestore();
    }
  });

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
