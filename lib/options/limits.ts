import { BRUTE_FORCE_OPTIONS, type BruteForceOptions, type ClientAuthLimits } from '../limits/brute-force';
import type { AttemptLimit } from '../stores/store';
import { checkOptionsObject, checkPositiveInteger, OptionPath, type KnownKeys } from './checks';

const BRUTE_FORCE_KEYS: KnownKeys<BruteForceOptions> = { perPair: true, perClient: true, perAddress: true };
const ATTEMPT_LIMIT_KEYS: KnownKeys<AttemptLimit> = { points: true, durationSeconds: true, blockSeconds: true };

/** `bruteForce`: each dimension is a limit (missing fields from the defaults) or `false`. */
export function checkBruteForce(at: OptionPath, value: unknown): ClientAuthLimits | false {
  if (value === false) return false;
  const given = checkOptionsObject(at, value, BRUTE_FORCE_KEYS, 'false or { perPair, perClient, perAddress }');
  const limits: ClientAuthLimits = {};
  for (const [option, dimension, defaults] of BRUTE_FORCE_OPTIONS) {
    const limit = checkAttemptLimit(at.at(option), given[option], defaults);
    if (limit !== false) limits[dimension] = limit;
  }
  return limits;
}

/** One attempt limit: `false`, or `{ points, durationSeconds, blockSeconds }` with missing fields from `defaults`. */
export function checkAttemptLimit(at: OptionPath, value: unknown, defaults: AttemptLimit): AttemptLimit | false {
  if (value === false) return false;
  const fields = checkOptionsObject(at, value, ATTEMPT_LIMIT_KEYS, 'false or { points, durationSeconds, blockSeconds }');
  return {
    points: checkPositiveInteger(at.at('points'), fields.points, defaults.points),
    durationSeconds: checkPositiveInteger(at.at('durationSeconds'), fields.durationSeconds, defaults.durationSeconds),
    blockSeconds: checkPositiveInteger(at.at('blockSeconds'), fields.blockSeconds, defaults.blockSeconds),
  };
}
