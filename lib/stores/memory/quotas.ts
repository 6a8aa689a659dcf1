import type { Clock } from '../../clock';
import { QuotaExceededError } from '../../errors';
import type { Quota } from '../store';

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
      const ids = this.counted.get(key);
      if (ids === undefined || (ids.get(id) ?? 0) > now) continue;
      // The oldest first (ids keep their insertion order); every one when the quota looks full.
      dropForgotten(ids, now, ids.size >= max);
      if (ids.size >= max) throw new QuotaExceededError(earliest(ids) - now);
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
    for (const [key, ids] of this.counted) {
      dropForgotten(ids, now, true);
      if (ids.size === 0) this.counted.delete(key);
    }
    for (const [id, { forgetAt }] of this.keysOf) if (forgetAt <= now) this.keysOf.delete(id);
  }

  clear(): void {
    this.counted.clear();
    this.keysOf.clear();
  }
}

/** Drops the ids forgotten by `now`: all of them, or (`all` false) those before the first live one. */
function dropForgotten(ids: Map<string, number>, now: number, all: boolean): void {
  for (const [id, forgetAt] of ids) {
    if (forgetAt <= now) ids.delete(id);
    else if (!all) return;
  }
}

function earliest(ids: Map<string, number>): number {
  let first = Number.POSITIVE_INFINITY;
  for (const forgetAt of ids.values()) first = Math.min(first, forgetAt);
  return first;
}
