import { hash, timingSafeEqual } from 'node:crypto';

/** RFC 7636 §4.2, §4.3: the transformations a code challenge may use. */
export type CodeChallengeMethod = 'S256' | 'plain';

/** RFC 7636 §4.1: code-verifier = 43*128unreserved; the same syntax for a plain challenge (§4.2). */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function isCodeVerifier(value: string): boolean {
  return VERIFIER.test(value);
}

export function isCodeChallenge(value: string, method: CodeChallengeMethod): boolean {
  return (method === 'S256' ? S256_CHALLENGE : VERIFIER).test(value);
}

/** RFC 7636 §4.6: the verifier, transformed by the method, must equal the challenge. */
export function verifierMatches(verifier: string, challenge: string, method: CodeChallengeMethod): boolean {
  const derived = method === 'S256' ? hash('sha256', verifier, 'base64url') : verifier;
  const a = Buffer.from(derived);
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}
