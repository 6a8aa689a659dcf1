import type { StoredSigningKey } from '../stores/store';

/** What a key's times need: when it was made and when it starts signing. */
export type KeyTimes = Pick<StoredSigningKey, 'createdAt' | 'signsFrom'>;

export interface RotationPolicy {
  /** A new key signs this many seconds after the previous one began. */
  rotateAfterSeconds: number;
  /** A new key is published this long before it signs, so that every cache of the JWKS has it first. */
  publishAheadSeconds: number;
  /** A key stays published this long after it stopped signing: the longest token lifetime and the clock skew. */
  retireAfterSeconds: number;
}

/** Longer than the JWKS `max-age` (JWKS_MAX_AGE_SECONDS, 300 s), the instances' reload interval (60 s) and the clock skew together. */
export const PUBLISH_AHEAD_SECONDS = 600;
/** The clock skew allowed between the server and whoever verifies its tokens. */
export const CLOCK_SKEW_SECONDS = 60;

/** The key that signs at `now`: of those whose `signsFrom` has come, the latest. */
export function signingKeyAt<K extends KeyTimes>(keys: readonly K[], now: number): K | undefined {
  let signing: K | undefined;
  for (const key of keys) if (key.signsFrom <= now && (signing === undefined || key.signsFrom > signing.signsFrom)) signing = key;
  return signing;
}

/** When `key` stops signing: when the next key starts (`undefined` while none is planned). */
function retiredAt(key: KeyTimes, keys: readonly KeyTimes[]): number | undefined {
  const later = keys.filter((other) => other.signsFrom > key.signsFrom).map((other) => other.signsFrom);
  return later.length === 0 ? undefined : Math.min(...later);
}

/**
 * RFC 9068 §4 has resource servers verify with the published keys: a key is published from
 * when it is made (ahead of signing) until the last token it signed has expired.
 */
export function publishedKeys<K extends KeyTimes>(keys: readonly K[], now: number, retireAfterSeconds: number): K[] {
  return keys.filter((key) => {
    const retired = retiredAt(key, keys);
    return retired === undefined || retired + retireAfterSeconds > now;
  });
}

/**
 * What the stored set should become at `now`: the keys still published, and whether a new key
 * is due (`newKeySignsFrom`). The first key signs at once; later ones are published
 * `publishAheadSeconds` before they sign, so that each key signs for `rotateAfterSeconds`
 * (longer when no instance ran to rotate it).
 */
export function planKeySet<K extends KeyTimes>(keys: readonly K[], now: number, policy: RotationPolicy): { keep: K[]; newKeySignsFrom?: number; changed: boolean } {
  const keep = publishedKeys(keys, now, policy.retireAfterSeconds);
  const newestStart = Math.max(...keep.map((key) => key.signsFrom));
  const newKeySignsFrom =
    keep.length === 0 ? now
    : newestStart + policy.rotateAfterSeconds - policy.publishAheadSeconds <= now ? now + policy.publishAheadSeconds
    : undefined;
  return { keep, ...(newKeySignsFrom !== undefined && { newKeySignsFrom }), changed: newKeySignsFrom !== undefined || keep.length !== keys.length };
}
