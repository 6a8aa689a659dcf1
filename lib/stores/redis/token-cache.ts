import { performance } from 'node:perf_hooks';
import type { Clock } from '../../clock';
import { connectToUrl, failClosedRunner } from './connection';
import { setBounded } from '../../bounded-map';
import type { AccessTokenRecord } from '../store';

export interface TokenCacheOptions {
  /** Most records kept in memory (default 10000); the least recently used one goes first. */
  maxEntries?: number;
  /**
   * Longest time, in milliseconds, a revocation may go unseen by this instance (default 1000),
   * even when invalidations silently stop arriving: records are served from memory only while
   * Redis has confirmed the invalidation channel within this time.
   */
  maxStalenessMs?: number;
}

export interface TokenCache {
  /** The access token record under `key`: from memory, or read from Redis (`untracked` while tracking is down). */
  find(key: string, untracked: () => Promise<string | null>): Promise<AccessTokenRecord | undefined>;
  close(): void;
}

const INVALIDATIONS = '__redis__:invalidate';

/**
 * Access token records kept in memory with Redis server-assisted client-side caching. The
 * `reader` connection does the cached reads with `CLIENT TRACKING ON REDIRECT <subscriber>`, so
 * Redis tells the `subscriber` connection when any of those keys changes (revocation, expiry).
 * Memory is used only while that channel is known to work: a closed or reconnected connection
 * flushes everything and bypasses the cache until tracking is on again, and a heartbeat on the
 * subscriber bounds how long a silent channel can go unnoticed (see `maxStalenessMs`).
 */
export function trackedTokenCache(url: string, timeoutMs: number, clock: Clock, settings: Required<TokenCacheOptions>): TokenCache {
  const { maxEntries, maxStalenessMs } = settings;
  const reader = connectToUrl(url, timeoutMs);
  // RESP2: to a RESP3 connection Redis sends invalidations as `invalidate` pushes, which ioredis
  // drops; to a RESP2 one, as messages of the channel it subscribed to.
  const subscriber = connectToUrl(url, timeoutMs, { protocol: 2, autoResubscribe: false, enableAutoPipelining: false });
  const readTracked = failClosedRunner(reader, timeoutMs, true);

  const entries = new Map<string, AccessTokenRecord>();
  /** Reads in flight per key, marked when the key is invalidated before their answer is kept. */
  const reads = new Map<string, Set<{ invalidated: boolean }>>();
  /** Bumped by every flush: a read begun before must not fill the cache. */
  let generation = 0;
  /** Bumped whenever a connection closes: an attempt to turn tracking on that began before is void. */
  let session = 0;
  let subscriberId: number | undefined;
  let tracking = false;
  /** Send time of the last heartbeat answered: every invalidation Redis sent before it has been applied. */
  let confirmedAt = -Infinity;

  function flush(): void {
    entries.clear();
    generation += 1;
  }

  function lose(): void {
    tracking = false;
    session += 1;
    flush();
  }

  async function startTracking(): Promise<void> {
    lose();
    const attempt = session;
    if (subscriberId === undefined || reader.status !== 'ready') return;
    const startedAt = performance.now();
    await reader.client('TRACKING', 'ON', 'REDIRECT', subscriberId);
    if (attempt !== session) return;
    tracking = true;
    confirmedAt = startedAt;
  }

  subscriber.on('close', () => {
    subscriberId = undefined;
    lose();
  });
  subscriber.on('ready', () => {
    void (async () => {
      const id = Number(await subscriber.client('ID'));
      await subscriber.subscribe(INVALIDATIONS);
      subscriberId = id;
      await startTracking();
    })().catch(() => {});
  });
  reader.on('close', lose);
  reader.on('ready', () => void startTracking().catch(() => {}));

  subscriber.on('messageBuffer', (_channel: Buffer, keys: Buffer[] | null) => {
    // null: Redis forgot every tracked key (FLUSHALL, FLUSHDB).
    if (!Array.isArray(keys)) return flush();
    for (const raw of keys) {
      const key = raw.toString();
      entries.delete(key);
      for (const read of reads.get(key) ?? []) read.invalidated = true;
    }
  });

  // A PING answered on the subscriber comes after every invalidation Redis sent before it.
  const heartbeat = setInterval(() => {
    if (!tracking) return;
    const sentAt = performance.now();
    const attempt = session;
    subscriber.ping().then(() => {
      if (attempt === session) confirmedAt = Math.max(confirmedAt, sentAt);
    }, () => {});
  }, Math.max(1, Math.floor(maxStalenessMs / 4)));
  heartbeat.unref();

  async function readAndKeep(key: string): Promise<AccessTokenRecord | undefined> {
    const read = { invalidated: false };
    const started = generation;
    const pending = reads.get(key) ?? new Set();
    reads.set(key, pending.add(read));
    let value;
    try {
      value = await readTracked(() => reader.get(key));
    } finally {
      pending.delete(read);
      if (pending.size === 0) reads.delete(key);
    }
    const record = parseRecord(value);
    // Only found records: an unknown token costs a read each time, but cannot evict valid ones.
    if (record !== undefined && tracking && generation === started && !read.invalidated) {
      setBounded(entries, maxEntries, key, record);
    }
    return record;
  }

  return {
    async find(key, untracked) {
      if (!tracking || performance.now() - confirmedAt > maxStalenessMs) return parseRecord(await untracked());
      const hit = entries.get(key);
      if (hit !== undefined) {
        entries.delete(key);
        if (hit.expiresAt > clock()) {
          entries.set(key, hit);
          return hit;
        }
      }
      return readAndKeep(key);
    },
    close() {
      clearInterval(heartbeat);
      lose();
      reader.disconnect();
      subscriber.disconnect();
    },
  };
}

/** A stored record, frozen: the cache hands the same object to every request. */
export function parseRecord(value: string | null): AccessTokenRecord | undefined {
  if (value === null) return undefined;
  const record = JSON.parse(value) as AccessTokenRecord;
  Object.freeze(record.scope);
  return Object.freeze(record);
}
