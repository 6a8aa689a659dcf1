import type { AttemptKey, AttemptLimit, AttemptStore } from '../../lib/stores/store';
import type { StoreUnderTest } from './store-contract';

/** The `attempts` operations every store with them must have (memory and Redis alike). */
export function attemptsContract(subject: () => StoreUnderTest) {
  describe('brute-force limit state (attempts)', () => {
    const attempts = (): AttemptStore => {
      const store = subject().store.attempts;
      if (store === undefined) throw new Error('this store keeps no limit state');
      return store;
    };
    const key = (group: string, name: string): AttemptKey => ({ group, key: name });
    const limit = (fields: Partial<AttemptLimit> = {}): AttemptLimit => ({ points: 3, durationSeconds: 60, blockSeconds: 30, ...fields });
    const blockedMs = async (...keys: AttemptKey[]) => (await attempts().read(keys, [])).blockedMs;
    const fail = (times: number, k: AttemptKey, l = limit()) => Promise.all(Array.from({ length: times }, () => attempts().countFailure([{ ...k, limit: l }])));

    test('failures below `points` block nothing; the one reaching it blocks the key for blockSeconds', async () => {
      const k = key('g', 'k');
      await expect(blockedMs(k)).resolves.toEqual([0]);
      await fail(2, k);
      await expect(blockedMs(k)).resolves.toEqual([0]);
      await fail(1, k);
      const [ms] = await blockedMs(k);
      expect(ms).toBeGreaterThan(28_000);
      expect(ms).toBeLessThanOrEqual(30_000);
    });

    test('failures sent at once all count, atomically: 20 at once with points 5 block the key', async () => {
      const k = key('g', 'burst');
      await fail(4, key('g', 'below'), limit({ points: 5 }));
      await fail(20, k, limit({ points: 5 }));
      const [burst, below] = await blockedMs(k, key('g', 'below'));
      expect(burst).toBeGreaterThan(0);
      expect(below).toBe(0);
    });

    test('a block is its own state: failures during it neither extend it nor carry over past it', async () => {
      const k = key('g', 'short');
      const short = limit({ points: 2, blockSeconds: 1 });
      await fail(2, k, short);
      await fail(5, k, short);
      expect((await blockedMs(k))[0]).toBeGreaterThan(0);
      await subject().advance(2);
      await expect(blockedMs(k)).resolves.toEqual([0]);
      await fail(1, k, short);
      await expect(blockedMs(k)).resolves.toEqual([0]);
    });

    test('the window forgets failures older than durationSeconds', async () => {
      const k = key('g', 'window');
      const brief = limit({ points: 2, durationSeconds: 1 });
      await fail(1, k, brief);
      await subject().advance(2);
      await fail(1, k, brief);
      await expect(blockedMs(k)).resolves.toEqual([0]);
    });

    test('keys are apart by group and by name', async () => {
      await fail(3, key('g1', 'k'));
      await expect(blockedMs(key('g1', 'k'), key('g2', 'k'), key('g1', 'j'))).resolves.toEqual([expect.any(Number), 0, 0]);
      expect((await blockedMs(key('g1', 'k')))[0]).toBeGreaterThan(0);
    });

    test('a known-good mark is set until it expires, and is apart from the limit of the same name', async () => {
      const mark = key('g', 'mark');
      await expect(attempts().read([mark], [mark])).resolves.toEqual({ blockedMs: [0], marked: [false] });
      await attempts().markKnown(mark, 1);
      await expect(attempts().read([mark], [mark, key('g', 'other')])).resolves.toEqual({ blockedMs: [0], marked: [true, false] });
      await subject().advance(2);
      await expect(attempts().read([], [mark])).resolves.toEqual({ blockedMs: [], marked: [false] });
    });
  });
}
