import type { Clock } from '../clock';
import { QuotaExceededError } from '../errors';
import type { Quota } from './store';

/**
 * The memory store's quotas: under each key, the records it counts (by id) and when each is
 * forgotten. Empty keys are dropped, so what this keeps grows only with the counted records.
 */
export class MemoryQuotas {
  /** Quota key → counted id → when it stops counting. */
  private readonly counted = new Map<string, Map<string, number>>();
  /** Counted id → the quota keys it counts under, for `release`. */
  private readonly keysOf = new Map<string, { keys: string[]; forgetAt: number }>();

  constructor(private readonly clock: Clock) {}

  /**
   * Counts `id` under every quota until `forgetAt`; throws `QuotaExceededError`, counting
   * nothing, when one of them already counts `max` others. Synchronous, so atomic.
   */
  admit(quotas: readonly Quota[], id: string, forgetAt: number): void {
    const now = this.clock();
    for (const { key, max } of quotas) {
      const ids = this.live(key, now);
      if (ids !== undefined && !ids.has(id) && ids.size >= max) throw new QuotaExceededError(Math.min(...ids.values()) - now);
    }
    for (const { key } of quotas) {
      const ids = this.counted.get(key) ?? new Map<string, number>();
      ids.set(id, forgetAt);
      this.counted.set(key, ids);
    }
    if (quotas.length > 0) this.keysOf.set(id, { keys: quotas.map(({ key }) => key), forgetAt });
  }

  /** Stops counting `id`, whose record is gone. */
  release(id: string): void {
    for (const key of this.keysOf.get(id)?.keys ?? []) {
      const ids = this.counted.get(key);
      ids?.delete(id);
      if (ids?.size === 0) this.counted.delete(key);
    }
    this.keysOf.delete(id);
  }

  sweep(): void {
    const now = this.clock();
    for (const key of this.counted.keys()) this.live(key, now);
    for (const [id, { forgetAt }] of this.keysOf) if (forgetAt <= now) this.keysOf.delete(id);
  }

  clear(): void {
    this.counted.clear();
    this.keysOf.clear();
  }

  /** The ids still counted under `key`, the forgotten ones dropped. */
  private live(key: string, now: number): Map<string, number> | undefined {
    const ids = this.counted.get(key);
    if (ids === undefined) return undefined;
    for (const [id, forgetAt] of ids) if (forgetAt <= now) ids.delete(id);
    if (ids.size > 0) return ids;
    this.counted.delete(key);
    return undefined;
  }
}
