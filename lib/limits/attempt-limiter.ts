import { hash } from 'node:crypto';
import { TemporarilyUnavailableError } from '../errors';
import type { AttemptKey, AttemptLimit, AttemptStore } from '../stores/store';
import type { ConcurrencySlots } from './slots';

export type { AttemptLimit } from '../stores/store';

/** A key whose failures are counted, with its limit. */
export interface LimitedKey extends AttemptKey {
  limit: AttemptLimit;
}

/** What one attempt is counted under. */
export interface LimitedAttempt {
  /** Keys whose block refuses every attempt. */
  hard: LimitedKey[];
  /** Keys whose block refuses attempts, except those from a source `known` to have succeeded. */
  soft: LimitedKey[];
  /** The mark of this attempt's source, set on its first success (needed when `soft` is not empty). */
  known?: AttemptKey;
  /** Attempts under one slot run a few at a time in this process (see `concurrencySlots`). */
  slot: string;
}

/** How long a source stays known-good after a success: 30 days. */
const KNOWN_GOOD_SECONDS = 30 * 24 * 3600;

/** The attempt was refused unchecked: a key it is counted under is blocked. */
export class AttemptBlockedError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('Too many failed attempts.');
  }
}

export interface AttemptLimiter {
  /**
   * Runs `check` unless the attempt is blocked (then rejects with `AttemptBlockedError`).
   * `check` resolves to a value on success, or to undefined on a failure, which is counted;
   * a `check` that rejects counts nothing. Store trouble rejects with
   * `TemporarilyUnavailableError` and counts nothing that did not happen.
   * `knownSuccess`, asked only once the attempt is known not to be blocked, may answer a
   * success without a check (a secret already verified right: not a guess); it then takes
   * no slot. Otherwise the attempt goes on to `check` as usual.
   */
  attempt<T>(attempt: LimitedAttempt, check: () => Promise<T | undefined>, knownSuccess?: () => T | undefined): Promise<T | undefined>;
}

/**
 * RFC 6819 §4.3.5, §5.1.4.2.3 and RFC 6749 §10.10 (online guessing): failures are counted
 * after a real check failed, and a key with `points` failures is blocked for a while. The
 * state is read inside a slot of `slots` and a failure is recorded before the slot is freed,
 * so the checks of wrong secrets under one slot key are at most points − 1 + `perKey` per
 * window in each process.
 */
export function attemptLimiter(store: AttemptStore, slots: ConcurrencySlots): AttemptLimiter {
  /** Refuses a blocked attempt (a blocked soft key only for a source not known-good); resolves whether the source is known-good. */
  async function admit(attempt: LimitedAttempt, limited: LimitedKey[]): Promise<boolean> {
    const marks = attempt.known === undefined ? [] : [attempt.known];
    const { blockedMs, marked } = await failClosed(() => store.read(limited, marks));
    const known = marked[0] === true;
    const wait = Math.max(0, ...blockedMs.slice(0, attempt.hard.length), ...(known ? [] : blockedMs.slice(attempt.hard.length)));
    if (wait > 0) throw new AttemptBlockedError(wait);
    return known;
  }
  async function markKnown(attempt: LimitedAttempt, known: boolean): Promise<void> {
    const mark = attempt.known;
    if (mark !== undefined && !known) await failClosed(() => store.markKnown(mark, KNOWN_GOOD_SECONDS));
  }

  return {
    async attempt(attempt, check, knownSuccess) {
      const limited = [...attempt.hard, ...attempt.soft];
      if (limited.length === 0) return check();
      if (knownSuccess !== undefined) {
        // The blocks first: a blocked attempt is refused before anything of it is compared.
        const known = await admit(attempt, limited);
        const success = knownSuccess();
        if (success !== undefined) {
          await markKnown(attempt, known);
          return success;
        }
      }
      return slots.run(attempt.slot, async () => {
        const known = await admit(attempt, limited);
        const result = await check();
        if (result === undefined) await failClosed(() => store.countFailure(limited));
        else await markKnown(attempt, known);
        return result;
      });
    },
  };
}

/**
 * A key named `name` for the values `parts`, kept in the group of `group` (e.g. one client id).
 * Hashed: bounded size, and no raw identifier reaches the store.
 */
export function limitKey(name: string, group: readonly string[], parts: readonly string[]): AttemptKey {
  return limitKeysOf(group)(name, parts);
}

/** `limitKey` for several keys of one group, whose digest is computed once. */
export function limitKeysOf(group: readonly string[]): (name: string, parts: readonly string[]) => AttemptKey {
  const groupDigest = digest(group);
  return (name, parts) => ({ group: groupDigest, key: digest([name, ...parts]) });
}

/** The attempt of a single hard key (e.g. a username), or none when `limit` is false. */
export function singleKeyAttempt(name: string, value: string, limit: AttemptLimit | false): LimitedAttempt {
  if (limit === false) return { hard: [], soft: [], slot: '' };
  const key = limitKey(name, [name, value], [value]);
  return { hard: [{ ...key, limit }], soft: [], slot: key.key };
}

function digest(values: readonly string[]): string {
  return hash('sha256', JSON.stringify(values), 'base64url');
}

async function failClosed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch {
    throw new TemporarilyUnavailableError('The authorization server cannot check its attempt limits now.');
  }
}
