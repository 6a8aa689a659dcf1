import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { KeySetUnavailableError } from '../resource/remote-key-set';
import { ASSERTION_ALGORITHMS } from './public-jwks';
import { usableJti } from '../stores/replay-records';

/** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. */
export const ASSERTION_SKEW_SECONDS = 30;
/**
 * Longest life of an assertion: `exp` − `iat`, or `exp` − now without `iat`. RFC 7523 §3 lets
 * the server limit it; a short life bounds how long the `jti` must be remembered and how long
 * a leaked assertion is good.
 */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/** The assertion cannot be used; `problem` is for the host's log, never the client. */
export class AssertionRefusedError extends Error {
  override name = 'AssertionRefusedError';
}

export interface AssertionExpectations {
  /** The `iss` it must have (RFC 7523 §3 item 1). */
  issuer: string;
  /** The `sub` it must have, when known in advance (a client assertion: the client id, §3 item 2.B). */
  subject?: string;
  /** The `aud` values that name this server (§3 item 3); the assertion must have exactly one of them. */
  audiences: readonly string[];
  /** The JOSE header `typ` it must have, when its profile names one. */
  typ?: string;
  /** Seconds since the epoch. */
  now: number;
}

/** A verified assertion's claims: `exp` and `jti` always there. */
export type AssertionClaims = JWTPayload & { exp: number; jti: string; sub: string };

/**
 * The rules of RFC 7523 §3 for a JWT assertion, checked with jose: the signature with one of
 * `keys` and an allowed algorithm; `iss`, `sub`, `aud`; `exp` required and at most
 * `MAX_ASSERTION_LIFETIME_SECONDS` away, `nbf` and `iat` not in the future (with
 * `ASSERTION_SKEW_SECONDS`); a `jti`. Single use is the caller's (its own replay-record key).
 * Throws `AssertionRefusedError`, or `KeySetUnavailableError` when the keys cannot be fetched.
 */
export async function verifyAssertion(assertion: string, keys: JWTVerifyGetKey, expected: AssertionExpectations): Promise<AssertionClaims> {
  const { now } = expected;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, keys, {
      algorithms: [...ASSERTION_ALGORITHMS],
      issuer: expected.issuer,
      ...(expected.subject !== undefined && { subject: expected.subject }),
      audience: [...expected.audiences],
      ...(expected.typ !== undefined && { typ: expected.typ }),
      requiredClaims: ['exp', 'jti', 'sub'],
      currentDate: new Date(now * 1000),
      clockTolerance: ASSERTION_SKEW_SECONDS,
    }));
  } catch (error) {
    if (error instanceof KeySetUnavailableError) throw error;
    if (error instanceof errors.JOSEError) throw new AssertionRefusedError(`the assertion does not verify (${error.code})`, { cause: error });
    throw error;
  }
  const { exp, iat, jti, aud } = payload as AssertionClaims;
  // draft-ietf-oauth-rfc7523bis §4: one audience value, so an assertion made for another server cannot be replayed here.
  if (Array.isArray(aud) && aud.length !== 1) throw new AssertionRefusedError('the assertion has more than one audience');
  if (!usableJti(jti)) throw new AssertionRefusedError('the jti is not a usable string');
  // RFC 7523 §3 item 6: iat not in the future (jose checks it only with maxTokenAge).
  if (iat !== undefined && iat > now + ASSERTION_SKEW_SECONDS) throw new AssertionRefusedError('the assertion is issued in the future');
  // RFC 7523 §3 item 4: the server may reject assertions whose exp is unreasonably far in the future.
  if (exp - (iat ?? now) > MAX_ASSERTION_LIFETIME_SECONDS) throw new AssertionRefusedError(`the assertion lives longer than ${MAX_ASSERTION_LIFETIME_SECONDS} s`);
  return payload as AssertionClaims;
}

/** Until when an assertion's `jti` is remembered: past the last second it could be accepted. */
export function replayRecordExpiry(claims: AssertionClaims): number {
  return claims.exp + ASSERTION_SKEW_SECONDS + 1;
}
