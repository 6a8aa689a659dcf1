import { hash } from 'node:crypto';
import { setBounded } from '../bounded-map';
import type { Clock } from '../clock';

/**
 * Answers about tokens, kept until a time of their own and at most `maxEntries` of them (the
 * oldest go first). Keyed by the token's SHA-256, so that the cache holds no usable token and a
 * long token costs no more memory than a short one.
 */
export interface TokenCache<V> {
  get(token: string): V | undefined;
  /** Keeps `value` until `until` (seconds since the epoch). */
  set(token: string, value: V, until: number): void;
  clear(): void;
}

export function tokenCache<V>(maxEntries: number, clock: Clock): TokenCache<V> {
  const entries = new Map<string, { value: V; until: number }>();
  const keyOf = (token: string) => hash('sha256', token, 'base64url');
  return {
    get(token) {
      const key = keyOf(token);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (clock() < entry.until) return entry.value;
      entries.delete(key);
      return undefined;
    },
    set(token, value, until) {
      if (until > clock()) setBounded(entries, maxEntries, keyOf(token), { value, until });
    },
    clear: () => entries.clear(),
  };
}
