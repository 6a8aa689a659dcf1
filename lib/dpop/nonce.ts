import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../clock';

/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9), stateless: a nonce is the HMAC of a time slot
 * under a key the instances share, so any instance checks it without a store round trip, and no
 * one without the key can make the nonce of a slot to come. A nonce is good during its slot and
 * the next one: between one and two slots.
 */
export interface DpopNonces {
  /** The nonce to hand out now (the `DPoP-Nonce` header). */
  current(): string;
  /** Whether `nonce` is the nonce of the current or the previous slot. */
  isValid(nonce: string): boolean;
}

/** Seconds of one nonce slot (default of `dpop.nonceRotationSeconds`). */
export const DEFAULT_NONCE_ROTATION_SECONDS = 60;

/**
 * `secret`: the key the instances share (`dpop.nonceSecret`); without one, a random key of this
 * process, which is right for one instance only: another instance would refuse its nonces.
 */
export function dpopNonces(clock: Clock, rotationSeconds: number, secret: string | undefined): DpopNonces {
  const key = secret ?? randomBytes(32).toString('base64url');
  // The nonces of the last slots asked for: checking one is a string comparison.
  const bySlot = new Map<number, string>();
  const nonceOf = (slot: number): string => {
    let nonce = bySlot.get(slot);
    if (nonce === undefined) {
      nonce = createHmac('sha256', key).update(`dpop-nonce:${slot}`).digest('base64url');
      if (bySlot.size >= 4) bySlot.clear();
      bySlot.set(slot, nonce);
    }
    return nonce;
  };
  const slotNow = () => Math.floor(clock() / rotationSeconds);
  return {
    current: () => nonceOf(slotNow()),
    isValid(nonce) {
      const slot = slotNow();
      return nonce === nonceOf(slot) || nonce === nonceOf(slot - 1);
    },
  };
}
