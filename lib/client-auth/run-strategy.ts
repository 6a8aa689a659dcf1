import type passport from 'passport';
import type { Request } from 'express';

/** The actions Passport gives a strategy for the one request it runs on. */
export interface StrategyActions<User> {
  success(user: User): void;
  fail(challenge?: unknown, status?: number): void;
  error(error: unknown): void;
  pass(): void;
  redirect(url: string, status?: number): void;
}

/**
 * Runs one Passport strategy on a request the way `passport.authenticate()` does (a fresh
 * object whose prototype is the strategy, given the action functions, then `authenticate(req,
 * options)`), and settles with the user on `success`, undefined on `fail`, or the error.
 *
 * Called directly rather than through a middleware made by `passport.authenticate()`: that
 * middleware also sets six `req.login`-style properties on every request and builds its
 * closures anew each time (bench/README.md, "Hot paths"), and a client never logs in to a
 * session. `options` reach the strategy as Passport's per-call options. `pass` and `redirect`
 * have no meaning for client authentication and count as failures.
 */
export function runStrategy<User>(strategy: passport.Strategy, req: Request, options: object = {}): Promise<User | undefined> {
  return new Promise((resolve, reject) => {
    const run = Object.create(strategy) as StrategyActions<User> & { authenticate(req: Request, options: object): void };
    run.success = (user) => resolve(user);
    run.fail = () => resolve(undefined);
    run.error = reject;
    run.pass = () => resolve(undefined);
    run.redirect = () => resolve(undefined);
    try {
      run.authenticate(req, { ...options, session: false });
    } catch (error) {
      reject(error);
    }
  });
}
