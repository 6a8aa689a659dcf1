import { dpopNonces } from '../../lib/dpop/nonce';
import { OAuthServerOptionsError } from '../../lib/options';
import { oauthServer } from '../../lib/server';
import { ISSUER, SERVICE } from '../helpers/test-app';

const SECRET = 'a-secret-the-instances-share-0123456789';

describe('stateless DPoP nonces (RFC 9449 §8, §9)', () => {
  it('a nonce is good in its slot and the next one, not after: rotated every slot', () => {
    let now = 1_800_000_000;
    const nonces = dpopNonces(() => now, 60, SECRET);
    const first = nonces.current();
    expect(nonces.isValid(first)).toBe(true);
    now += 60;
    const second = nonces.current();
    expect(second).not.toBe(first);
    expect(nonces.isValid(first)).toBe(true);
    expect(nonces.isValid(second)).toBe(true);
    now += 60;
    expect(nonces.isValid(first)).toBe(false);
    expect(nonces.isValid(second)).toBe(true);
  });

  it('is checked by another instance with the same secret, with no store, and refused by one with another', () => {
    const now = () => 1_800_000_000;
    const given = dpopNonces(now, 60, SECRET).current();
    expect(dpopNonces(now, 60, SECRET).isValid(given)).toBe(true);
    expect(dpopNonces(now, 60, 'another-secret-of-another-deployment-xyz').isValid(given)).toBe(false);
    // Without a secret, each process has its own random key.
    expect(dpopNonces(now, 60, undefined).isValid(dpopNonces(now, 60, undefined).current())).toBe(false);
  });

  it('cannot be made up: neither a slot number nor the nonce of a slot to come is accepted', () => {
    let now = 1_800_000_000;
    const nonces = dpopNonces(() => now, 60, SECRET);
    now += 120;
    const future = nonces.current();
    now -= 120;
    expect(nonces.isValid(future)).toBe(false);
    expect(nonces.isValid(String(Math.floor(now / 60)))).toBe(false);
    expect(nonces.isValid('')).toBe(false);
  });
});

describe('the dpop option is checked at start-up', () => {
  const startupError = (dpop: unknown): string => {
    try {
      void oauthServer({ issuer: ISSUER, clients: [SERVICE], dpop: dpop as false }).close();
    } catch (error) {
      expect(error).toBeInstanceOf(OAuthServerOptionsError);
      return (error as Error).message;
    }
    throw new Error('expected oauthServer() to throw');
  };

  test.each([
    ['not an object', true, /`dpop` must be false or \{ algorithms/],
    ['an unknown key', { nonce: true }, /`dpop.nonce` is not an option/],
    ['a symmetric algorithm', { algorithms: ['HS256'] }, /`dpop.algorithms` must be a non-empty array of ES256/],
    ['alg none', { algorithms: ['none'] }, /`dpop.algorithms` must be/],
    ['no algorithm', { algorithms: [] }, /`dpop.algorithms` must be/],
    ['a short nonce secret', { requireNonce: true, nonceSecret: 'short' }, /`dpop.nonceSecret` must be a string of at least 32/],
    ['a rotation of zero', { requireNonce: true, nonceRotationSeconds: 0 }, /`dpop.nonceRotationSeconds` must be a positive whole number/],
    ['nonce settings without requireNonce', { nonceSecret: SECRET }, /`dpop` has nonce settings but not `requireNonce: true`/],
    ['requireNonce not a boolean', { requireNonce: 'yes' }, /`dpop.requireNonce` must be true or false/],
  ])('%s', (_name, dpop, message) => {
    expect(startupError(dpop)).toMatch(message);
  });

  test.each([[false], [{}], [{ requireNonce: true, nonceSecret: SECRET, nonceRotationSeconds: 30, algorithms: ['ES256', 'EdDSA'] }]])('accepts %p', async (dpop) => {
    await oauthServer({ issuer: ISSUER, clients: [SERVICE], dpop: dpop as false }).close();
  });
});
