import { AttemptBlockedError, attemptLimiter, singleKeyAttempt } from '../../lib/limits/attempt-limiter';
import { concurrencySlots } from '../../lib/limits/slots';
import { memoryAttemptStore } from '../../lib/stores/memory/attempts';

/* A success known without a check (a secret verified right before) is not a guess: no slot, no count; a block still refuses it. */
describe('attemptLimiter: known successes', () => {
  const now = 1_800_000_000;
  const store = memoryAttemptStore(() => now);
  afterAll(() => store.close());
  const limit = { points: 2, durationSeconds: 600, blockSeconds: 600 };
  const limiter = attemptLimiter(store, concurrencySlots({ perKey: 1, maxWaiting: 10, maxWaitMs: 1000 }));

  test('answered by knownSuccess without running the check, even while the slot is taken', async () => {
    const attempt = singleKeyAttempt('test', 'alice', limit);
    let release = () => {};
    // The one slot of this key is held by a check that has not finished.
    const holding = limiter.attempt(attempt, () => new Promise<string | undefined>((resolve) => (release = () => resolve('slow'))));
    let checked = false;
    const known = await limiter.attempt(attempt, async () => ((checked = true), 'checked'), () => 'known');
    expect({ known, checked }).toEqual({ known: 'known', checked: false });
    release();
    await expect(holding).resolves.toBe('slow');
  });

  test('a blocked attempt is refused before knownSuccess is asked', async () => {
    const attempt = singleKeyAttempt('test', 'bob', limit);
    for (let i = 0; i < limit.points; i++) await limiter.attempt(attempt, async () => undefined);
    let asked = false;
    await expect(limiter.attempt(attempt, async () => 'checked', () => ((asked = true), 'known'))).rejects.toBeInstanceOf(AttemptBlockedError);
    expect(asked).toBe(false);
  });

  test('when knownSuccess has no answer the attempt is checked, and a failure counted', async () => {
    const attempt = singleKeyAttempt('test', 'carol', limit);
    await expect(limiter.attempt(attempt, async () => undefined, () => undefined)).resolves.toBeUndefined();
    await expect(limiter.attempt(attempt, async () => undefined, () => undefined)).resolves.toBeUndefined();
    await expect(limiter.attempt(attempt, async () => 'right', () => undefined)).rejects.toBeInstanceOf(AttemptBlockedError);
  });
});
