import { createHash, randomBytes } from 'node:crypto';

const GRANT_ID_LENGTH = 22;
const GRANT_ID = /^[A-Za-z0-9_-]{22}$/;

/** 128 bits, base64url: names one user's authorization of one client. Not a secret. */
export function generateGrantId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * 256 bits from the CSPRNG, base64url: 43 characters (RFC 6749 §10.10, RFC 6750 §5.2). A token
 * issued under a grant carries the grant id in front (`<prefix><grantId>.<random>`), so that
 * its storage place can be found from the token alone (see `hashTokenValue`).
 */
export function generateTokenValue(prefix = '', grantId?: string): string {
  return prefix + (grantId === undefined ? '' : `${grantId}.`) + randomBytes(32).toString('base64url');
}

/**
 * Tokens are stored under this digest only, so a copy of the store gives no usable token.
 * A plain SHA-256 is enough: the values carry 256 bits of entropy and cannot be guessed.
 * A grant-bound token's digest is prefixed with its grant id (`<grantId>.<digest>`); the digest
 * covers the whole value, so a token whose grant id part was changed is simply not found.
 */
export function hashTokenValue(value: string): string {
  const digest = createHash('sha256').update(value).digest('base64url');
  const dot = value.indexOf('.');
  const grantId = dot >= GRANT_ID_LENGTH ? value.slice(dot - GRANT_ID_LENGTH, dot) : '';
  return GRANT_ID.test(grantId) ? `${grantId}.${digest}` : digest;
}
