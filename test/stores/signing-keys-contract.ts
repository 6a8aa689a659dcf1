import type { SigningKeyStore, StoredSigningKey } from '../../lib/stores/store';
import type { StoreUnderTest } from './store-contract';

/** The `signingKeys` operations every store with them must have (memory and Redis alike). */
export function signingKeysContract(subject: () => StoreUnderTest) {
  describe('generated signing keys (signingKeys)', () => {
    const keyStore = (): SigningKeyStore => {
      const store = subject().store.signingKeys;
      if (store === undefined) throw new Error('this store keeps no signing keys');
      return store;
    };
    const key = (kid: string): StoredSigningKey => ({
      privateJwk: { kty: 'EC', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}`, d: `d-${kid}`, kid, alg: 'ES256' },
      createdAt: 1000,
      signsFrom: 1600,
    });

    test('an empty store holds version 0 and no key', async () => {
      await expect(keyStore().read()).resolves.toEqual({ version: 0, keys: [] });
    });

    test('a replacement of the current version is kept whole, and raises the version', async () => {
      await expect(keyStore().replace(0, [key('a')], 60)).resolves.toBe(true);
      await expect(keyStore().read()).resolves.toEqual({ version: 1, keys: [key('a')] });
      await expect(keyStore().replace(1, [key('a'), key('b')], 60)).resolves.toBe(true);
      await expect(keyStore().read()).resolves.toEqual({ version: 2, keys: [key('a'), key('b')] });
    });

    test('a replacement of an older version changes nothing', async () => {
      await keyStore().replace(0, [key('a')], 60);
      await expect(keyStore().replace(0, [key('stale')], 60)).resolves.toBe(false);
      await expect(keyStore().read()).resolves.toEqual({ version: 1, keys: [key('a')] });
    });

    test('of 10 replacements of one version sent at once, exactly one wins, whole', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => keyStore().replace(0, [key(`racer-${i}`)], 60)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      await expect(keyStore().read()).resolves.toEqual({ version: 1, keys: [key(`racer-${winner}`)] });
    });

    test('what a caller does with a read set does not change the stored one', async () => {
      await keyStore().replace(0, [key('a')], 60);
      const read = await keyStore().read();
      read.keys.push(key('b'));
      (read.keys[0] as StoredSigningKey).signsFrom = 0;
      await expect(keyStore().read()).resolves.toEqual({ version: 1, keys: [key('a')] });
    });

    test('the set is forgotten ttlSeconds after its last replacement', async () => {
      await keyStore().replace(0, [key('a')], 1);
      await subject().advance(2);
      await expect(keyStore().read()).resolves.toEqual({ version: 0, keys: [] });
    });
  });
}
