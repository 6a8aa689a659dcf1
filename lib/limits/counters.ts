import { memoryAttemptCounter } from '../stores/memory';
import type { AttemptCounter, AttemptWindow, Store } from '../stores/store';
import { attemptLimiter, noAttemptLimits, type AttemptLimit, type AttemptLimiter } from './attempt-limiter';

/** Makes the failure counter of one name (e.g. `bf:clientId`); the same counter for the same name. */
export type AttemptCounters = (name: string, window: AttemptWindow) => AttemptCounter;

/**
 * The store's attempt counters, or this process's memory for a store without them. Each name's
 * counter is made once: a memory counter holds its counts, so it must not be made per request.
 */
export function attemptCounters(store: Store): AttemptCounters {
  const make = store.attemptCounter?.bind(store) ?? memoryAttemptCounter;
  const made = new Map<string, AttemptCounter>();
  return (name, window) => {
    const counter = made.get(name) ?? make(name, window);
    made.set(name, counter);
    return counter;
  };
}

/** A limiter of failures along one dimension named `name`, or none when `limit` is false. */
export function limiterOf<Dimension extends string>(
  counters: AttemptCounters,
  dimension: Dimension,
  name: string,
  limit: AttemptLimit | false,
): AttemptLimiter<Dimension> {
  if (limit === false) return noAttemptLimits;
  const dimensions: Partial<Record<Dimension, { counter: AttemptCounter; limit: AttemptLimit }>> = {};
  dimensions[dimension] = { counter: counters(name, limit), limit };
  return attemptLimiter(dimensions);
}
