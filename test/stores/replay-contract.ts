import { onceKey } from '../../lib/stores/store';
import { generateTokenValue } from '../../lib/tokens/token-value';
import type { StoreUnderTest } from './store-contract';

/** Replay records (`rememberOnce`, design.md): one use of an id, on every instance (part of the store contract). */
export function replayContract(current: () => StoreUnderTest) {
  const store = () => current().store;
  const rememberOnce = (key: string, expiresAt: number) => {
    const remember = store().rememberOnce;
    if (remember === undefined) throw new Error('the store has no rememberOnce');
    return remember.call(store(), key, expiresAt);
  };
  const freshKey = (purpose = 'dpop') => onceKey(purpose, 'thumbprint', generateTokenValue());

  describe('replay records', () => {
    test('an id is remembered once: the first use is true, every later one false', async () => {
      const key = freshKey();
      await expect(rememberOnce(key, current().now() + 60)).resolves.toBe(true);
      await expect(rememberOnce(key, current().now() + 60)).resolves.toBe(false);
      await expect(rememberOnce(key, current().now() + 600)).resolves.toBe(false);
    });

    test('of concurrent uses of one id, exactly one is true', async () => {
      const key = freshKey();
      const results = await Promise.all(Array.from({ length: 10 }, () => rememberOnce(key, current().now() + 60)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    test('the same ids under another purpose are another record', async () => {
      const ids = ['thumbprint', generateTokenValue()];
      await expect(rememberOnce(onceKey('dpop', ...ids), current().now() + 60)).resolves.toBe(true);
      await expect(rememberOnce(onceKey('client-assertion', ...ids), current().now() + 60)).resolves.toBe(true);
    });

    test('a record is forgotten once its time has passed', async () => {
      const key = freshKey();
      await expect(rememberOnce(key, current().now() + 1)).resolves.toBe(true);
      await current().advance(2);
      await expect(rememberOnce(key, current().now() + 1)).resolves.toBe(true);
    });
  });
}
