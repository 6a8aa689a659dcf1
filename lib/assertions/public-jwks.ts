import type { JSONWebKeySet } from 'jose';

/**
 * The algorithms an assertion (a `private_key_jwt` client assertion, RFC 7523 §2.2, or a JWT
 * bearer grant, §2.1) may be signed with: asymmetric only. Never `none`, never HMAC: an HMAC
 * "verified" with a public key would be a signature anyone can make (RFC 8725 §2.1, §3.1).
 */
export const ASSERTION_ALGORITHMS = ['ES256', 'PS256', 'RS256', 'EdDSA'] as const;

/** Key types that can verify those algorithms (RFC 7518 §6, RFC 8037 §2). `oct` (a shared secret) is not one. */
const PUBLIC_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);
/** Members that only private or symmetric keys have (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2; `priv` of AKP keys). */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
/** More keys than anyone rotates through; bounds the work of one client's set. */
export const MAX_KEYS = 20;

/** The sets `checkPublicJwks` returned: frozen, so still as checked. */
const CHECKED = new WeakSet<object>();

/**
 * Checks a JWK Set of public signing keys (RFC 7517 §5) as client metadata `jwks` or a trusted
 * issuer's keys: `problem` is called with what is wrong. A private key published as a "public"
 * one is refused: whoever put it there has leaked it. Returns a frozen copy; a set this returned
 * is taken as it is (a Client ID Metadata Document's keys are checked as a registration's, then
 * again as a client's).
 */
export function checkPublicJwks(value: unknown, problem: (message: string) => never): JSONWebKeySet {
  if (typeof value === 'object' && value !== null && CHECKED.has(value)) return value as JSONWebKeySet;
  const keys = typeof value === 'object' && value !== null ? (value as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key))) {
    return problem('must be a JWK Set: an object with a non-empty array of keys');
  }
  if (keys.length > MAX_KEYS) return problem(`must have at most ${MAX_KEYS} keys`);
  for (const key of keys as Record<string, unknown>[]) {
    if (!PUBLIC_KEY_TYPES.has(key.kty as string)) return problem('may only have RSA, EC or OKP public keys (kty)');
    if (PRIVATE_JWK_MEMBERS.some((member) => member in key)) return problem('must hold public keys only: a key has a private member');
    if (key.alg !== undefined && !(ASSERTION_ALGORITHMS as readonly unknown[]).includes(key.alg)) {
      return problem(`may only have keys for ${ASSERTION_ALGORITHMS.join(', ')} (alg)`);
    }
    // RFC 7517 §4.2: a key whose `use` is given is for that use only. No double quote in the
    // message: a registration shows it as an error_description (RFC 6749 §5.2 excludes %x22).
    if (key.use !== undefined && key.use !== 'sig') return problem('may only have signing keys (use sig)');
  }
  const checked: JSONWebKeySet = Object.freeze({ keys: Object.freeze((keys as JSONWebKeySet['keys']).map((key) => Object.freeze({ ...key }))) as JSONWebKeySet['keys'] });
  CHECKED.add(checked);
  return checked;
}
