import { isHttpsOrLoopback } from '../http/address-policy';
import type { KeySource } from './key-sets';
import { checkPublicJwks } from './public-jwks';

/**
 * How a caller tells what is wrong with a key source, in its own error shape (a client's
 * config error, an RFC 7591 §3.2.2 response, an option path). Each one throws.
 */
export interface KeySourceFailures {
  /** Both `jwks` and `jwks_uri` are given (RFC 7591 §2: "MUST NOT both be present"). */
  both(): never;
  /** Neither is given. Without it, no keys is no fault: the source is empty. */
  neither?(): never;
  /** What is wrong with the `jwks` (a message of `checkPublicJwks`). */
  jwks(problem: string): never;
  /** The `jwks_uri` is not one the server may fetch (`isJwksUri`, and https when `httpsOnly`). */
  jwksUri(): never;
}

/**
 * The keys of an assertion's signer (a `private_key_jwt` client, RFC 7523 §2.2, or a trusted
 * issuer, §2.1), given as RFC 7591 §2 client metadata: `jwks` or `jwks_uri`, never both. Inline
 * keys must be public signing keys (`checkPublicJwks`); a `jwks_uri` an absolute URL the server
 * may fetch, which with `httpsOnly` (a client registering itself) must be https even on loopback.
 */
export function checkKeySource(given: { jwks?: unknown; jwks_uri?: unknown }, fail: KeySourceFailures, options: { httpsOnly: boolean }): KeySource {
  const { jwks, jwks_uri: jwksUri } = given;
  if (jwks !== undefined && jwksUri !== undefined) return fail.both();
  if (jwks !== undefined) return { jwks: checkPublicJwks(jwks, (problem) => fail.jwks(problem)) };
  if (jwksUri !== undefined) {
    if (!isJwksUri(jwksUri) || (options.httpsOnly && !jwksUri.startsWith('https:'))) return fail.jwksUri();
    return { jwksUri };
  }
  return fail.neither?.() ?? {};
}

/**
 * A `jwks_uri` (RFC 7591 §2) the server may fetch: an absolute https URL without fragment
 * (http on localhost too; the guarded fetch takes loopback only in development). The one rule
 * for clients in config, registered clients and trusted issuers.
 */
export function isJwksUri(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.hash === '' && !value.includes('#') && isHttpsOrLoopback(url);
  } catch {
    return false;
  }
}
