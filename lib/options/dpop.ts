import { ACCESS_TOKEN_ALGORITHMS } from '../tokens/jwt-access-token';
import { DEFAULT_NONCE_ROTATION_SECONDS } from '../dpop/nonce';
import { checkBoolean, checkOptionsObject, checkPositiveInteger, type KnownKeys, type OptionPath } from './checks';

/** DPoP (RFC 9449): sender-constrained tokens. On by default; `false` turns it off. */
export interface DpopOptions {
  /**
   * The JWS algorithms accepted in proofs and announced as `dpop_signing_alg_values_supported`
   * (default: every asymmetric one jose verifies: ES256, ES384, ES512, EdDSA, Ed25519, PS256…512, RS256…512).
   */
  algorithms?: readonly string[];
  /**
   * Require a server nonce in every proof (RFC 9449 §8, §9; default false): a proof without the
   * current one is answered `use_dpop_nonce` with a `DPoP-Nonce` header, and every answer of the
   * token endpoint and of the protected routes carries a fresh nonce.
   */
  requireNonce?: boolean;
  /**
   * The key of the nonces (at least 32 characters), the same on every instance, so that a nonce
   * one instance gave is good at the others. Default: a random key of this process, right for
   * one instance only.
   */
  nonceSecret?: string;
  /** A nonce is good for this many seconds, and for the next slot as long (default 60). */
  nonceRotationSeconds?: number;
}

/** DPoP as the server runs it. */
export interface DpopSettings {
  algorithms: readonly string[];
  /** With `requireNonce` only. */
  nonce?: { secret?: string; rotationSeconds: number };
}

const DPOP_KEYS: KnownKeys<DpopOptions> = { algorithms: true, requireNonce: true, nonceSecret: true, nonceRotationSeconds: true };

/** `dpop`: `false`, or the options; `undefined` when DPoP is off. */
export function checkDpop(at: OptionPath, value: unknown): DpopSettings | undefined {
  if (value === false) return undefined;
  const options = checkOptionsObject(at, value, DPOP_KEYS, 'false or { algorithms, requireNonce, nonceSecret, nonceRotationSeconds }');
  const algorithms = options.algorithms ?? ACCESS_TOKEN_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((alg) => ACCESS_TOKEN_ALGORITHMS.includes(alg))) {
    // RFC 9449 §4.3 point 5: asymmetric only; never none or a MAC.
    throw at.at('algorithms').error(`must be a non-empty array of ${ACCESS_TOKEN_ALGORITHMS.join(', ')}`);
  }
  const secret = options.nonceSecret;
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 32)) {
    throw at.at('nonceSecret').error('must be a string of at least 32 characters, the same on every instance');
  }
  const rotationSeconds = checkPositiveInteger(at.at('nonceRotationSeconds'), options.nonceRotationSeconds, DEFAULT_NONCE_ROTATION_SECONDS);
  const requireNonce = checkBoolean(at.at('requireNonce'), options.requireNonce, false);
  if (!requireNonce && (secret !== undefined || options.nonceRotationSeconds !== undefined)) {
    throw at.error('has nonce settings but not `requireNonce: true`: nonces are off');
  }
  return { algorithms: [...algorithms], ...(requireNonce && { nonce: { secret, rotationSeconds } }) };
}
