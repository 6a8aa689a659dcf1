import { InvalidDpopProofError, InvalidGrantError } from '../errors';

/**
 * RFC 9449 §5 (a public client's refresh token), §10 (a code asked for with `dpop_jkt`): what
 * is bound to a DPoP key is redeemed only by a request that proves that key.
 */
export function requireBoundKey(boundJkt: string | undefined, proof: { readonly jkt: string } | undefined, what: string): void {
  if (boundJkt === undefined) return;
  if (proof === undefined) throw new InvalidDpopProofError(`The ${what} is bound to a DPoP key: send a DPoP proof of that key.`);
  if (proof.jkt !== boundJkt) throw new InvalidGrantError(`The ${what} is bound to another DPoP key.`);
}
