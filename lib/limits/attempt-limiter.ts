import { hash } from 'node:crypto';
import { TemporarilyUnavailableError } from '../errors';
import type { AttemptCounter, AttemptWindow } from '../stores/store';

/** `points` failures within `durationSeconds` block the key for `blockSeconds`. */
export interface AttemptLimit extends AttemptWindow {
  blockSeconds: number;
}

/**
 * Counters of one kind of attempt along several dimensions (client id, source address, …).
 * An attempt is counted before it is checked, atomically, so that attempts sent in parallel
 * cannot all pass a check made before any of them failed.
 */
export interface AttemptLimiter<Dimension extends string> {
  /** Counts an attempt; resolves to the milliseconds to wait when a key is over its limit (the attempt is then refused and not counted), else 0. */
  begin(keys: Partial<Record<Dimension, string>>): Promise<number>;
  /** The attempt succeeded, or ended before any secret was checked: its count is taken back. */
  release(keys: Partial<Record<Dimension, string>>): Promise<void>;
  /** The attempt failed: its count stays, and a key that reached its limit is blocked. */
  fail(keys: Partial<Record<Dimension, string>>): Promise<void>;
  /**
   * Counts a failure of an attempt that was not counted by `begin` (one that could not have
   * been a successful guess); a key that reaches its limit is blocked. Resolves to the
   * milliseconds to wait when a key was already over its limit, else 0.
   */
  countFailure(keys: Partial<Record<Dimension, string>>): Promise<number>;
}

export type LimitedDimensions<Dimension extends string> = Partial<Record<Dimension, { counter: AttemptCounter; limit: AttemptLimit }>>;

/**
 * RFC 6819 §4.3.5, §5.1.4.2.3 and RFC 6749 §10.10 (online guessing): failures are counted and,
 * past a limit, refused for a while. A blocked key stays blocked even for a correct attempt,
 * and a success takes back only its own count, so nobody can clear someone else's failures.
 * Keys are hashed before they reach the store: bounded size, and no raw identifiers in it. A
 * counter that cannot answer fails closed (503 temporarily_unavailable).
 */
export function attemptLimiter<Dimension extends string>(dimensions: LimitedDimensions<Dimension>): AttemptLimiter<Dimension> {
  const limited = Object.entries(dimensions) as [Dimension, { counter: AttemptCounter; limit: AttemptLimit }][];
  const present = (keys: Partial<Record<Dimension, string>>) =>
    limited.flatMap(([dimension, { counter, limit }]) => {
      const key = keys[dimension];
      return key === undefined ? [] : [{ counter, limit, key: hashKey(key) }];
    });
  const release = async (keys: Partial<Record<Dimension, string>>) => {
    await Promise.all(present(keys).map(({ counter, key }) => counter.reward(key)));
  };

  return {
    begin: (keys) =>
      failClosed(async () => {
        const entries = present(keys);
        const counts = await Promise.all(entries.map(({ counter, key }) => counter.penalty(key)));
        const wait = Math.max(0, ...counts.map((count, i) => (count.consumedPoints > entries[i].limit.points ? count.msBeforeNext : 0)));
        if (wait > 0) await release(keys);
        return wait;
      }),
    release: (keys) => failClosed(() => release(keys)),
    fail: (keys) =>
      failClosed(async () => {
        await Promise.all(
          present(keys).map(async ({ counter, limit, key }) => {
            const count = await counter.get(key);
            // `block` sets the count past the limit for blockSeconds, which `begin` refuses.
            if (count !== null && count.consumedPoints >= limit.points) await counter.block(key, limit.blockSeconds);
          }),
        );
      }),
    countFailure: (keys) =>
      failClosed(async () => {
        const waits = await Promise.all(
          present(keys).map(async ({ counter, limit, key }) => {
            const count = await counter.penalty(key);
            if (count.consumedPoints > limit.points) return count.msBeforeNext;
            if (count.consumedPoints === limit.points) await counter.block(key, limit.blockSeconds);
            return 0;
          }),
        );
        return Math.max(0, ...waits);
      }),
  };
}

/** Used when limits are turned off: nothing is counted, nothing is blocked. */
export const noAttemptLimits: AttemptLimiter<never> = {
  begin: async () => 0,
  release: async () => {},
  fail: async () => {},
  countFailure: async () => 0,
};

function hashKey(value: string): string {
  return hash('sha256', value, 'base64url');
}

async function failClosed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch {
    throw new TemporarilyUnavailableError('The authorization server cannot check its attempt limits now.');
  }
}
