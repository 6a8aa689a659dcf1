import type { AttemptLimit } from '../stores/store';
import { AttemptBlockedError, singleKeyAttempt, type AttemptLimiter } from './attempt-limiter';

/** How a guarded password check ended. */
export type PasswordCheck<User> =
  | { outcome: 'ok'; user: User }
  | { outcome: 'wrong' }
  /** Too many failures for this username: the password was not checked. */
  | { outcome: 'blocked'; retryAfterSeconds: number };

/** The server's attempt limits, for the host app's own sign-in. */
export interface AttemptLimits {
  /**
   * Runs `verify` under the per-username limit of the password grant (the same counters, so a
   * username blocked at the token endpoint is blocked here and vice versa). `verify` resolves
   * to the user, or undefined for a wrong username or password (counted). Rejects with
   * `TemporarilyUnavailableError` when the limits cannot be read or written.
   *
   * ```js
   * const check = await oauth.limits.checkPassword(username, async () => findUser(username, password));
   * if (check.outcome === 'ok') signIn(check.user);
   * ```
   */
  checkPassword<User>(username: string, verify: () => Promise<User | undefined>): Promise<PasswordCheck<User>>;
}

/** Failures per username of the password grant, and of the host app's sign-in: 5 per 15 minutes, then blocked 15 minutes. */
export const DEFAULT_PASSWORD_LIMIT: AttemptLimit = { points: 5, durationSeconds: 900, blockSeconds: 900 };

export function attemptLimits(limiter: AttemptLimiter, perUsername: AttemptLimit | false): AttemptLimits {
  return {
    async checkPassword(username, verify) {
      try {
        const user = await limiter.attempt(singleKeyAttempt('pw:username', username, perUsername), async () => (await verify()) ?? undefined);
        return user === undefined ? { outcome: 'wrong' } : { outcome: 'ok', user };
      } catch (error) {
        if (!(error instanceof AttemptBlockedError)) throw error;
        return { outcome: 'blocked', retryAfterSeconds: Math.ceil(error.retryAfterMs / 1000) };
      }
    },
  };
}
