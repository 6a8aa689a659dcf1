import { addressNetwork } from '../address-network';
import { TooManyAttemptsError } from '../errors';
import type { Clock } from '../clock';
import { AttemptBlockedError, singleKeyAttempt, type AttemptLimiter } from '../limits/attempt-limiter';
import { resolveScope } from '../scope';
import type { Store } from '../stores/store';
import { generateGrantId, hashTokenValue } from '../tokens/token-value';
import type { CheckedDeviceOptions } from '../options/grants';
import { formatUserCode, normalizeUserCode } from './user-code';

/** A device authorization request waiting for a user, as a user code named it. */
export interface PendingDevice {
  /** Names the request in the store (a digest, not a secret). */
  deviceCodeHash: string;
  clientId: string;
  /** The scope the device asked for. */
  scope: string[];
  expiresAt: number;
  /** The user code, as the device shows it (`XXXX-XXXX`). */
  userCode: string;
}

/**
 * The user's side of RFC 8628 (§3.3), for host apps that drive it themselves; the router's
 * `/device/verify` and `/device/decision` are built on it.
 */
export interface DeviceUserStep {
  /**
   * The pending request a user code names (typed as the person typed it: any case, with or
   * without the dash), or undefined. Wrong codes are limited per `address` (RFC 8628 §5.1);
   * while an address is blocked, this throws a 429 `invalid_request`.
   */
  find(userCode: string, address: string): Promise<PendingDevice | undefined>;
  /** The user allows the device `scope` (space-separated; default: all it asked for). Resolves false if it was already decided. */
  approve(pending: Pick<PendingDevice, 'deviceCodeHash' | 'scope'>, sub: string, scope?: string): Promise<boolean>;
  /** The user refuses: the device's next poll gets access_denied. Resolves false if it was already decided. */
  deny(pending: Pick<PendingDevice, 'deviceCodeHash'>): Promise<boolean>;
}

export function deviceUserStep(settings: { store: Store; clock: Clock; limiter: AttemptLimiter; device: CheckedDeviceOptions }): DeviceUserStep {
  const { store, clock, limiter, device } = settings;

  return {
    async find(userCode, address) {
      // A malformed code names no request: it tests nothing and counts nothing.
      const normalized = normalizeUserCode(userCode);
      if (normalized === undefined) return undefined;
      const lookUp = async () => {
        const found = await store.findDeviceCodeByUserCode(hashTokenValue(normalized));
        return found === undefined || found.record.expiresAt <= clock() ? undefined : found;
      };
      let found;
      try {
        // RFC 8628 §5.1: user codes are short, so guessing them is limited.
        found = await limiter.attempt(singleKeyAttempt('uc:address', addressNetwork(address), device.perAddress), lookUp);
      } catch (error) {
        if (error instanceof AttemptBlockedError) throw new TooManyAttemptsError('Too many wrong codes were entered. Please wait a while and try again.');
        throw error;
      }
      if (found === undefined) return undefined;
      const { clientId, scope, expiresAt } = found.record;
      return { deviceCodeHash: found.deviceCodeHash, clientId, scope, expiresAt, userCode: formatUserCode(normalized) };
    },
    approve(pending, sub, scope) {
      // RFC 6749 §3.3: the user may grant less than was asked, never more.
      const granted = resolveScope(scope, pending.scope);
      return store.decideDeviceCode(pending.deviceCodeHash, { approved: true, sub, scope: granted, grantId: generateGrantId() });
    },
    deny(pending) {
      return store.decideDeviceCode(pending.deviceCodeHash, { approved: false });
    },
  };
}
