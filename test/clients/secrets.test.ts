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
  const scryptHash = hashClientSecretSync(person);
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
