import { TemporarilyUnavailableError } from '../errors';

export interface SlotSettings {
  /** Attempts under one key that run at once in this process. */
  perKey: number;
  /** Attempts that may wait for a slot of one key; more are refused as unavailable. */
  maxWaiting: number;
  /** Longest wait for a slot, in milliseconds (the store's command timeout); then the attempt is refused as unavailable. */
  maxWaitMs: number;
}

export const DEFAULT_SLOTS: SlotSettings = { perKey: 4, maxWaiting: 1000, maxWaitMs: 2000 };

/**
 * Runs work under a key at most `perKey` at a time in this process; the others wait their
 * turn first come, first served. Waiting delays a request and never refuses it, unless the
 * wait would be too long or the queue too deep: then 503 temporarily_unavailable, never 401.
 * Only keys in use are kept.
 */
export function concurrencySlots(settings: SlotSettings) {
  const keys = new Map<string, { running: number; waiting: (() => void)[] }>();

  function release(key: string): void {
    const entry = keys.get(key);
    if (entry === undefined) return;
    const next = entry.waiting.shift();
    if (next !== undefined) return next();
    entry.running -= 1;
    if (entry.running === 0) keys.delete(key);
  }

  function acquire(key: string): Promise<void> {
    const entry = keys.get(key) ?? { running: 0, waiting: [] };
    keys.set(key, entry);
    if (entry.running < settings.perKey) {
      entry.running += 1;
      return Promise.resolve();
    }
    if (entry.waiting.length >= settings.maxWaiting) return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      // A slot handed over passes `running` on unchanged.
      const take = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        entry.waiting.splice(entry.waiting.indexOf(take), 1);
        reject(busy());
      }, settings.maxWaitMs);
      timer.unref();
      entry.waiting.push(take);
    });
  }

  return {
    async run<T>(key: string, work: () => Promise<T>): Promise<T> {
      await acquire(key);
      try {
        return await work();
      } finally {
        release(key);
      }
    },
  };
}

export type ConcurrencySlots = ReturnType<typeof concurrencySlots>;

function busy(): TemporarilyUnavailableError {
  return new TemporarilyUnavailableError('Too many attempts are waiting; try again shortly.');
}
