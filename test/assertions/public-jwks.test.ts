import { checkPublicJwks } from '../../lib/assertions/public-jwks';

/** RFC 7517 §5: a checked set of public signing keys, as client metadata `jwks` or a trusted issuer's keys. */
const KEY = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k' };
const refuse = (message: string): never => {
  throw new Error(message);
};

describe('checkPublicJwks', () => {
  test('returns a frozen copy: the set, its keys and each key', () => {
    const given = { keys: [{ ...KEY }] };
    const checked = checkPublicJwks(given, refuse);
    expect(checked).toEqual(given);
    expect(checked).not.toBe(given);
    expect(Object.isFrozen(checked) && Object.isFrozen(checked.keys) && checked.keys.every((key) => Object.isFrozen(key))).toBe(true);
  });

  test('a set it returned is taken as it is, checked once (a metadata document is checked as a registration, then as a client)', () => {
    const checked = checkPublicJwks({ keys: [{ ...KEY }] }, refuse);
    expect(checkPublicJwks(checked, refuse)).toBe(checked);
    // A copy of it is checked again.
    expect(() => checkPublicJwks({ keys: [...checked.keys, { ...KEY, d: 'private' }] }, refuse)).toThrow(/public keys only/);
  });
});
