import { createHash } from 'node:crypto';
import { TemporarilyUnavailableError } from '../errors';
import type { AttemptCounter, AttemptWindow } from '../stores/store';

/** `points` failures within `durationSeconds` block the key for `blockSeconds`. */
export interface AttemptLimit extends AttemptWindow {
  blockSeconds: number;
}

/** Counters of one kind of failure along several dimensions (client id, source address, …). */
export interface AttemptLimiter<Dimension extends string> {
  /** Milliseconds until every given key may try again; 0 when none is blocked. */
  blockedFor(keys: Partial<Record<Dimension, string>>): Promise<number>;
  /** Counts a failure against each given key; a key that reaches its limit is blocked. */
  recordFailure(keys: Partial<Record<Dimension, string>>): Promise<void>;
}

export type LimitedDimensions<Dimension extends string> = Partial<Record<Dimension, { counter: AttemptCounter; limit: AttemptLimit }>>;

/**
 * RFC 6819 §4.3.5, §5.1.4.2.3 and RFC 6749 §10.10 (online guessing): failures are counted and, past a
 * limit, refused for a while. A blocked key stays blocked even for a correct attempt, and a
 * success resets nothing, so nobody can clear someone else's counters. Keys are hashed before
 * they reach the store: bounded size, and no raw identifiers in it. A counter that cannot
 * answer fails closed (503 temporarily_unavailable).
 */
export function attemptLimiter<Dimension extends string>(dimensions: LimitedDimensions<Dimension>): AttemptLimiter<Dimension> {
  const limited = Object.entries(dimensions) as [Dimension, { counter: AttemptCounter; limit: AttemptLimit }][];
  const present = (keys: Partial<Record<Dimension, string>>) =>
    limited.flatMap(([dimension, { counter, limit }]) => {
      const key = keys[dimension];
      return key === undefined ? [] : [{ counter, limit, key: hashKey(key) }];
    });

  return {
    blockedFor: (keys) =>
      failClosed(async () => {
        const waits = await Promise.all(
          present(keys).map(async ({ counter, limit, key }) => {
            const count = await counter.get(key);
            return count !== null && count.consumedPoints > limit.points ? count.msBeforeNext : 0;
          }),
        );
        return Math.max(0, ...waits);
      }),
    recordFailure: (keys) =>
      failClosed(async () => {
        await Promise.all(
          present(keys).map(async ({ counter, limit, key }) => {
            const count = await counter.penalty(key);
            // `block` sets the count past the limit, which is what blockedFor looks for.
            if (count.consumedPoints >= limit.points) await counter.block(key, limit.blockSeconds);
          }),
        );
      }),
  };
}

/** Used when limits are turned off: nothing is counted, nothing is blocked. */
export const noAttemptLimits: AttemptLimiter<never> = {
  blockedFor: async () => 0,
  recordFailure: async () => {},
};

function hashKey(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

async function failClosed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch {
    throw new TemporarilyUnavailableError('The authorization server cannot check its attempt limits now.');
  }
}
