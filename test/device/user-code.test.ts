import { formatUserCode, generateUserCode, normalizeUserCode } from '../../lib/device/user-code';

describe('user codes (RFC 8628 §6.1)', () => {
  test('are 8 base-20 consonants, shown as XXXX-XXXX, and differ', () => {
    const codes = Array.from({ length: 50 }, generateUserCode);
    for (const code of codes) expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
    expect(new Set(codes).size).toBe(50);
    expect(formatUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
  });

  test.each(['BCDF-GHJK', 'bcdf-ghjk', 'bcdfghjk', ' BCDF GHJK ', 'BCDF–GHJK', 'bcdf.ghjk'])('%j is read as BCDFGHJK', (typed) => {
    expect(normalizeUserCode(typed)).toBe('BCDFGHJK');
  });

  test.each(['BCDF-GHJ', 'BCDF-GHJKL', 'ABCD-EFGH', 'BCDF-GHJ1', '', 'x'.repeat(65)])('%j is no user code', (typed) => {
    expect(normalizeUserCode(typed)).toBeUndefined();
  });
});
