import { memoryStore } from '../../lib/stores/memory/store';
import { keySet, privateKeyFor, TEST_ALGORITHMS } from '../helpers/signing-keys';

/** RFC 7518 §6.2.1, §6.3.1, RFC 8037 §2: the public members of each key type; RFC 7517 §4: kid, alg, use. */
const PUBLIC = { EC: ['kty', 'crv', 'x', 'y'], RSA: ['kty', 'n', 'e'], OKP: ['kty', 'crv', 'x'] } as Record<string, string[]>;
const ALWAYS = ['kid', 'alg', 'use'];

describe('the JWKS holds public members only', () => {
  test.each(TEST_ALGORITHMS)('host %s key given with every private member and more: only public ones are published', async (alg) => {
    const { jwk } = await privateKeyFor(alg);
    const given = { ...jwk, alg, kid: 'k', key_ops: ['sign'], ext: true, k: 'not-for-publication', secret: 'not-for-publication' };
    const [published] = (await keySet({ keys: [given] }).publicJwks()).keys;
    const allowed = [...(PUBLIC[jwk.kty as string] as string[]), ...ALWAYS];
    for (const member of Object.keys(published ?? {})) expect(allowed).toContain(member);
    expect(published).toMatchObject({ kid: 'k', alg, use: 'sig' });
    const privateValues = Object.entries(given).filter(([member]) => !allowed.includes(member)).map(([, value]) => JSON.stringify(value));
    for (const value of privateValues) expect(JSON.stringify(published)).not.toContain(value.replace(/^"|"$/g, ''));
  });

  test.each(TEST_ALGORITHMS)('generated %s keys: only public members are published', async (algorithm) => {
    const keys = keySet({ algorithm }, { store: memoryStore() });
    const { keys: published } = await keys.publicJwks();
    expect(published).toHaveLength(1);
    for (const key of published) {
      for (const member of Object.keys(key)) expect([...(PUBLIC[key.kty as string] as string[]), ...ALWAYS]).toContain(member);
      expect(key).toMatchObject({ alg: algorithm, use: 'sig', kid: expect.any(String) });
    }
  });
});
