import { RateLimiterMemory } from 'rate-limiter-flexible';
import { systemClock, type Clock } from '../clock';
import { secondsToLive, type AccessTokenRecord, type AttemptCounter, type AttemptWindow, type Store } from './store';

export interface MemoryStoreOptions {
  /** How often expired records are swept out, in seconds (default 60). */
  sweepIntervalSeconds?: number;
  clock?: Clock;
}

/**
 * The embedded store: one process, no server. Records leave memory when they expire (read
 * time and a periodic sweep), so memory stays bounded by the tokens that are still live.
 */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const clock = options.clock ?? systemClock;
  const accessTokens = new Map<string, { record: AccessTokenRecord; forgetAt: number }>();

  const sweep = setInterval(() => {
    const now = clock();
    for (const [key, entry] of accessTokens) {
      if (entry.forgetAt <= now) accessTokens.delete(key);
    }
  }, (options.sweepIntervalSeconds ?? 60) * 1000);
  sweep.unref();

  return {
    async saveAccessToken(tokenHash, record) {
      const now = clock();
      accessTokens.set(tokenHash, { record: frozenCopy(record), forgetAt: now + secondsToLive(record, now) });
    },
    async findAccessToken(tokenHash) {
      const entry = accessTokens.get(tokenHash);
      if (entry === undefined) return undefined;
      if (entry.forgetAt <= clock()) {
        accessTokens.delete(tokenHash);
        return undefined;
      }
      return entry.record;
    },
    async revokeAccessToken(tokenHash) {
      return accessTokens.delete(tokenHash);
    },
    attemptCounter: memoryAttemptCounter,
    async ping() {},
    async close() {
      clearInterval(sweep);
      accessTokens.clear();
    },
  };
}

/** Records are handed out as they are kept, so they are kept frozen: no caller can change them. */
function frozenCopy(record: AccessTokenRecord): AccessTokenRecord {
  return Object.freeze({ ...record, scope: Object.freeze([...record.scope]) as string[] });
}

/** Failure counters in this process only; also what the server uses with a store that has none. */
export function memoryAttemptCounter(name: string, window: AttemptWindow): AttemptCounter {
  return new RateLimiterMemory({ keyPrefix: name, points: window.points, duration: window.durationSeconds });
}
