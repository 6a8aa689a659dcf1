import { createHash, randomBytes } from 'node:crypto';

/** 256 bits from the CSPRNG, base64url: 43 characters (RFC 6749 §10.10, RFC 6750 §5.2). */
export function generateTokenValue(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/**
 * Tokens are stored under this digest only, so a copy of the store gives no usable token.
 * A plain SHA-256 is enough: the values carry 256 bits of entropy and cannot be guessed.
 */
export function hashTokenValue(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
