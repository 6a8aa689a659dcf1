import type { Clock } from '../../clock';
import type { AttemptKey, AttemptStore } from '../store';

export interface MemoryAttemptStore extends AttemptStore {
  /** Stops the sweep and forgets everything. */
  close(): void;
}

/**
 * Counters, blocks and marks in this process (the memory store's, and the server's for a
 * store without `attempts`). Each operation runs without yielding, so each is atomic. Memory
 * is bounded by what is live: every entry expires and is swept.
 */
export function memoryAttemptStore(clock: Clock, sweepIntervalSeconds = 60): MemoryAttemptStore {
  const counters = new Map<string, { count: number; forgetAt: number }>();
  /** When each block (`b\0…`) and known-good mark (`m\0…`) ends. */
  const until = new Map<string, number>();
  const id = ({ group, key }: AttemptKey) => `${group}\0${key}`;
  const sweep = setInterval(() => {
    const now = clock();
    for (const [key, counter] of counters) if (counter.forgetAt <= now) counters.delete(key);
    for (const [key, at] of until) if (at <= now) until.delete(key);
  }, sweepIntervalSeconds * 1000);
  sweep.unref();
  const live = (key: string): number | undefined => {
    const at = until.get(key);
    if (at === undefined || at > clock()) return at;
    until.delete(key);
    return undefined;
  };

  return {
    async read(blocks, marks) {
      const now = clock();
      return {
        blockedMs: blocks.map((block) => Math.max(0, ((live(`b\0${id(block)}`) ?? now) - now) * 1000)),
        marked: marks.map((mark) => live(`m\0${id(mark)}`) !== undefined),
      };
    },
    async countFailure(keys) {
      const now = clock();
      for (const { limit, ...key } of keys) {
        const name = id(key);
        if (live(`b\0${name}`) !== undefined) continue;
        const counter = counters.get(name);
        const current = counter === undefined || counter.forgetAt <= now ? { count: 0, forgetAt: now + limit.durationSeconds } : counter;
        current.count += 1;
        if (current.count >= limit.points) {
          counters.delete(name);
          until.set(`b\0${name}`, now + limit.blockSeconds);
        } else {
          counters.set(name, current);
        }
      }
    },
    async markKnown(mark, seconds) {
      until.set(`m\0${id(mark)}`, clock() + seconds);
    },
    close() {
      clearInterval(sweep);
      counters.clear();
      until.clear();
    },
  };
}
