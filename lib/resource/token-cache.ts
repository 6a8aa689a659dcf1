import { setBounded } from '../bounded-map';
import type { Clock } from '../clock';

/**
 * Answers about tokens, kept until a time of their own and at most `maxEntries` of them (the
 * oldest go first). Keyed by the token's digest (`tokenDigest` of lib/tokens/token-value.ts, made once per request by the
 * caller), so that the cache holds no usable token and a long token costs no more memory than
 * a short one.
 */
export interface TokenCache<V> {
  get(digest: string): V | undefined;
  /** Keeps `value` until `until` (seconds since the epoch). */
  set(digest: string, value: V, until: number): void;
  clear(): void;
}

export function tokenCache<V>(maxEntries: number, clock: Clock): TokenCache<V> {
  const entries = new Map<string, { value: V; until: number }>();
  return {
    get(digest) {
      const entry = entries.get(digest);
      if (entry === undefined) return undefined;
      if (clock() < entry.until) return entry.value;
      entries.delete(digest);
      return undefined;
    },
    set(digest, value, until) {
      if (until > clock()) setBounded(entries, maxEntries, digest, { value, until });
    },
    clear: () => entries.clear(),
  };
}
