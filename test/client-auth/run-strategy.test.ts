import passport from 'passport';
import type { Request } from 'express';
import { runStrategy } from '../../lib/client-auth/run-strategy';

type Actions = { success(user: unknown): void; fail(): void; error(e: unknown): void; pass(): void; redirect(url: string): void };

/** A strategy whose authenticate() does what `act` says with the actions it was given. */
function strategy(act: (actions: Actions, req: Request, options: unknown) => void): passport.Strategy {
  const s = new passport.Strategy();
  s.authenticate = function (this: Actions, req: Request, options?: unknown) {
    act(this, req, options);
  };
  return s;
}

const request = () => ({ headers: {} }) as Request;

describe('runStrategy: a Passport strategy run as passport.authenticate() runs it', () => {
  it('settles with the user the strategy succeeds with', async () => {
    await expect(runStrategy(strategy((a) => a.success({ id: 'c1' })), request())).resolves.toEqual({ id: 'c1' });
  });

  it('settles with undefined when the strategy fails, passes or redirects', async () => {
    await expect(runStrategy(strategy((a) => a.fail()), request())).resolves.toBeUndefined();
    await expect(runStrategy(strategy((a) => a.pass()), request())).resolves.toBeUndefined();
    await expect(runStrategy(strategy((a) => a.redirect('https://elsewhere.example')), request())).resolves.toBeUndefined();
  });

  it('rejects with the error the strategy reports, or throws', async () => {
    const reported = new Error('lookup failed');
    await expect(runStrategy(strategy((a) => a.error(reported)), request())).rejects.toBe(reported);
    const thrown = new Error('bug');
    await expect(runStrategy(strategy(() => { throw thrown; }), request())).rejects.toBe(thrown);
  });

  it('settles once, even when the strategy calls several actions', async () => {
    await expect(runStrategy(strategy((a) => { a.success('first'); a.fail(); a.error(new Error('late')); }), request())).resolves.toBe('first');
  });

  it('gives the strategy the request and session: false, and leaves no login helpers on the request', async () => {
    const req = request();
    let seen: unknown[] = [];
    await runStrategy(strategy((a, r, options) => { seen = [r, options]; a.success('u'); }), req);
    expect(seen).toEqual([req, { session: false }]);
    expect(Object.keys(req)).toEqual(['headers']);
  });

  it('runs each request on its own object, so the shared strategy is never changed', async () => {
    const shared = strategy((a) => a.success('u'));
    await runStrategy(shared, request());
    expect(Object.prototype.hasOwnProperty.call(shared, 'success')).toBe(false);
  });
});
