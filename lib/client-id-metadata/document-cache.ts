import { setBounded } from '../bounded-map';
import type { Clock } from '../clock';
import type { FetchedJson } from '../http/guarded-fetch';
import { sharedInFlight } from '../in-flight';

export interface DocumentCacheLimits {
  /** Most documents (and failures) kept; past it, the least recently used is forgotten. */
  maxEntries: number;
  /** Shortest time a document is kept, whatever its `Cache-Control` says: no URL is fetched more often. */
  minSeconds: number;
  /** Longest time a document is kept, whatever its `Cache-Control` says. */
  maxSeconds: number;
  /** How long a failure (not fetched, or not valid) is remembered before the URL is tried again. */
  failureSeconds: number;
}

/** What the cache keeps of a URL: what `read` made of its document, or why it failed. */
type Entry<T> = { expiresAt: number } & ({ value: T } | { error: unknown });

export interface DocumentCache<T> {
  /** What `read` makes of the document at `url`: from the cache while fresh, else fetched (one fetch at a time per URL). */
  get(url: URL): Promise<T>;
}

/**
 * A bounded cache of fetched documents (draft -01 §4.4): fresh for the response's
 * `Cache-Control: max-age` (RFC 9111 §5.2.2.1), kept within [minSeconds, maxSeconds]; a
 * failure is remembered for `failureSeconds`, so a broken or hostile URL is not fetched for
 * every request naming it. Callers asking for a URL while it is fetched share that fetch.
 */
export function documentCache<T>(
  fetchDocument: (url: URL) => Promise<FetchedJson>,
  read: (url: URL, json: Record<string, unknown>) => T,
  limits: DocumentCacheLimits,
  clock: Clock,
): DocumentCache<T> {
  const entries = new Map<string, Entry<T>>();
  const shared = sharedInFlight<string, T>();
  const keep = (key: string, entry: Entry<T>) => {
    entries.delete(key);
    setBounded(entries, limits.maxEntries, key, entry);
  };

  const load = async (url: URL): Promise<T> => {
    try {
      const { json, cacheControl } = await fetchDocument(url);
      const value = read(url, json);
      keep(url.href, { value, expiresAt: clock() + freshFor(cacheControl, limits) });
      return value;
    } catch (error) {
      keep(url.href, { error, expiresAt: clock() + limits.failureSeconds });
      throw error;
    }
  };

  return {
    async get(url) {
      const key = url.href;
      const entry = entries.get(key);
      if (entry !== undefined && entry.expiresAt > clock()) {
        // Least recently used goes first: a hit moves the entry to the end.
        keep(key, entry);
        if ('error' in entry) throw entry.error;
        return entry.value;
      }
      return shared(key, () => load(url));
    },
  };
}

/**
 * Seconds a document stays fresh: its `max-age` (RFC 9111 §5.2.2.1) within the limits. A
 * response without one, or with `no-cache` or `no-store` (§5.2.2.4, §5.2.2.5), is kept for
 * `minSeconds`: the least any document is kept, so that no client_id can make the server fetch
 * on every request.
 */
export function freshFor(cacheControl: string | undefined, { minSeconds, maxSeconds }: Pick<DocumentCacheLimits, 'minSeconds' | 'maxSeconds'>): number {
  const directives = (cacheControl ?? '').split(',').map((directive) => directive.trim().toLowerCase());
  if (directives.some((directive) => directive === 'no-store' || directive === 'no-cache')) return minSeconds;
  const maxAges = directives.flatMap((directive) => {
    const match = /^max-age\s*=\s*"?(\d+)"?$/.exec(directive);
    return match === null ? [] : [Number(match[1])];
  });
  // §4.2.1: a directive given twice with different values makes the response stale.
  if (maxAges.length === 0 || new Set(maxAges).size > 1) return minSeconds;
  return Math.min(maxSeconds, Math.max(minSeconds, maxAges[0] as number));
}
