import type { AttemptCounters } from './counters';
import { attemptLimiter, noAttemptLimits, type AttemptLimit, type AttemptLimiter } from './attempt-limiter';

/** The `bruteForce` option: limits on failed client authentication, per client id and per source address. */
export interface BruteForceOptions {
  /** Failures counted against the presented client_id, known or not (default 10 per 10 minutes, then blocked 10 minutes). */
  perClient?: Partial<AttemptLimit> | false;
  /** Failures counted against `req.ip` (default 50 per 10 minutes, then blocked 10 minutes). */
  perAddress?: Partial<AttemptLimit> | false;
}

export const DEFAULT_BRUTE_FORCE: Readonly<Record<ClientAuthDimension, AttemptLimit>> = {
  clientId: { points: 10, durationSeconds: 600, blockSeconds: 600 },
  address: { points: 50, durationSeconds: 600, blockSeconds: 600 },
};

export type ClientAuthDimension = 'clientId' | 'address';
export type ClientAuthLimits = Partial<Record<ClientAuthDimension, AttemptLimit>>;

/** The limiter of failed client authentication, its counters made by the store (or in memory). */
export function clientAuthLimiter(limits: ClientAuthLimits | false, counters: AttemptCounters): AttemptLimiter<ClientAuthDimension> {
  if (limits === false) return noAttemptLimits;
  return attemptLimiter(
    Object.fromEntries(
      Object.entries(limits).map(([dimension, limit]) => [dimension, { limit, counter: counters(`bf:${dimension}`, limit) }]),
    ),
  );
}
