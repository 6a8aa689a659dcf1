import type { RateLimiterRes } from 'rate-limiter-flexible';

/** What the server remembers about an access token; stored under the token's hash. */
export interface AccessTokenRecord {
  clientId: string;
  scope: string[];
  /** The resource owner, when a user granted the token. */
  sub?: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  /** Seconds since the epoch; the token is invalid from this second on. */
  expiresAt: number;
}

/**
 * Persistence for what the server issues. Operations are named for what OAuth needs so that
 * each can be made atomic by its implementation. Every implementation passes
 * `test/stores/store-contract.ts`.
 *
 * A store that cannot answer must reject (with `TemporarilyUnavailableError` where it can
 * tell), never resolve with a guess: callers fail closed.
 */
export interface Store {
  /** Saves a token; the store may forget it once `record.expiresAt` has passed. */
  saveAccessToken(tokenHash: string, record: AccessTokenRecord): Promise<void>;
  /** The record of a token that was saved and not revoked, or `undefined`. Expiry is checked by the caller. */
  findAccessToken(tokenHash: string): Promise<AccessTokenRecord | undefined>;
  /** Forgets a token at once; resolves `true` when it existed. */
  revokeAccessToken(tokenHash: string): Promise<boolean>;
  /**
   * Counters of failed attempts for brute-force limits, kept where the tokens are so that every
   * instance sharing the store sees the same counts. Optional: without it the server counts in
   * its own memory. Keys are opaque (hashed by the caller).
   */
  attemptCounter?(name: string, window: AttemptWindow): AttemptCounter;
  /** Resolves when the store can be used; rejects when it cannot be reached. */
  ping(): Promise<void>;
  /** Releases what the store holds open (connections, timers). */
  close(): Promise<void>;
}

/** Failures are counted for `durationSeconds` from the first; `points` is the limit reported back. */
export interface AttemptWindow {
  points: number;
  durationSeconds: number;
}

/**
 * The part of rate-limiter-flexible's limiter API the brute-force limits use; its limiters
 * fit it as they are. A counter that cannot answer rejects: callers fail closed.
 */
export interface AttemptCounter {
  /** The attempts counted under `key` and the time until they are forgotten, or null. */
  get(key: string): Promise<RateLimiterRes | null>;
  /** Counts one attempt under `key`, atomically, and returns the new count. */
  penalty(key: string): Promise<RateLimiterRes>;
  /** Takes one count back. */
  reward(key: string): Promise<RateLimiterRes>;
  /** Marks `key` as over its limit for `seconds`. */
  block(key: string, seconds: number): Promise<RateLimiterRes>;
}

const STORE_METHODS = ['saveAccessToken', 'findAccessToken', 'revokeAccessToken', 'ping', 'close'] as const;

export function isStore(value: unknown): value is Store {
  return (
    typeof value === 'object' &&
    value !== null &&
    STORE_METHODS.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  );
}

/** Seconds from `now` until `expiresAt`, at least 1 so that a store never keeps a record forever. */
export function secondsToLive(record: AccessTokenRecord, now: number): number {
  return Math.max(1, record.expiresAt - now);
}
