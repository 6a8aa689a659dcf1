import { addressNetwork } from '../address-network';
import { setBounded } from '../bounded-map';
import type { AttemptLimit } from '../stores/store';
import { limitKey, type LimitedAttempt, type LimitedKey } from './attempt-limiter';

/** The `bruteForce` option: limits on failed client authentication (wrong secrets of guessable clients). */
export interface BruteForceOptions {
  /** Failures per client id and source address (default 10 per 10 minutes, then that address is blocked for that client 10 minutes). */
  perPair?: Partial<AttemptLimit> | false;
  /** Failures per client id across addresses (default 100 per 10 minutes, then blocked 10 minutes except from addresses it succeeded from). */
  perClient?: Partial<AttemptLimit> | false;
  /** Failures per source address across client ids (default 50 per 10 minutes, then blocked 10 minutes except for clients that succeeded from it). */
  perAddress?: Partial<AttemptLimit> | false;
}

export type ClientAuthDimension = 'pair' | 'client' | 'address';
export type ClientAuthLimits = Partial<Record<ClientAuthDimension, AttemptLimit>>;

/** Each option of `bruteForce`, the dimension it limits, and its default. */
export const BRUTE_FORCE_OPTIONS = [
  ['perPair', 'pair', { points: 10, durationSeconds: 600, blockSeconds: 600 }],
  ['perClient', 'client', { points: 100, durationSeconds: 600, blockSeconds: 600 }],
  ['perAddress', 'address', { points: 50, durationSeconds: 600, blockSeconds: 600 }],
] as const satisfies readonly (readonly [keyof BruteForceOptions, ClientAuthDimension, AttemptLimit])[];

/**
 * What a check of a client's secret from `address` is counted under. A blocked (client id,
 * address) pair refuses everything; a blocked client id or address still admits the addresses
 * the client succeeded from (its known-good mark): failures from elsewhere never lock a
 * client out of its own address. The pair, client and mark keys share the client's group.
 */
function clientAuthAttempt(limits: ClientAuthLimits | false, clientId: string, sourceAddress: string): LimitedAttempt {
  if (limits === false) return { hard: [], soft: [], slot: '' };
  // An IPv6 host holds its whole /64: counted as one address.
  const address = addressNetwork(sourceAddress);
  const ofClient = ['client', clientId];
  const pair = limitKey('bf:pair', ofClient, [clientId, address]);
  const limited = (key: ReturnType<typeof limitKey>, limit: AttemptLimit | undefined): LimitedKey[] => (limit === undefined ? [] : [{ ...key, limit }]);
  const soft = [
    ...limited(limitKey('bf:client', ofClient, [clientId]), limits.client),
    ...limited(limitKey('bf:address', ['address', address], [address]), limits.address),
  ];
  return {
    hard: limited(pair, limits.pair),
    soft,
    ...(soft.length > 0 && { known: limitKey('bf:known', ofClient, [clientId, address]) }),
    slot: pair.key,
  };
}

/** Attempts kept by `clientAuthAttempts`: about 1 KB each. */
const ATTEMPTS_KEPT = 10_000;

/**
 * `clientAuthAttempt` for one server's limits, remembered per client id and address: the
 * digests of its keys are made once, not on every request of a client from its address.
 */
export function clientAuthAttempts(limits: ClientAuthLimits | false): (clientId: string, sourceAddress: string) => LimitedAttempt {
  const known = new Map<string, LimitedAttempt>();
  return (clientId, sourceAddress) => {
    const id = `${clientId.length}:${clientId}${sourceAddress}`;
    let attempt = known.get(id);
    if (attempt === undefined) {
      attempt = clientAuthAttempt(limits, clientId, sourceAddress);
      setBounded(known, ATTEMPTS_KEPT, id, attempt);
    }
    return attempt;
  };
}
