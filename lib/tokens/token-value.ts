import { hash, randomBytes, randomFillSync } from 'node:crypto';

const TOKEN_BYTES = 32;
// One CSPRNG call per 128 tokens instead of one per token: the call, not the bytes, is what
// costs (bench/README.md, "Hot paths"). Each slice is used once and zeroed as soon as it is
// encoded. The pool is per process, filled on first use.
const pool = Buffer.alloc(TOKEN_BYTES * 128);
let offset = pool.length;

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
  return prefix + (grantId === undefined ? '' : `${grantId}.`) + randomTokenBytes();
}

/** TOKEN_BYTES fresh bytes of the pool, base64url; the slice is zeroed once encoded. */
function randomTokenBytes(): string {
  if (offset + TOKEN_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const value = pool.toString('base64url', offset, offset + TOKEN_BYTES);
  pool.fill(0, offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return value;
}

/** The SHA-256 of a token's value, base64url: what caches and stores key a token by, never the value itself. */
export function tokenDigest(value: string): string {
  return hash('sha256', value, 'base64url');
}

/**
 * Tokens are stored under this digest only, so a copy of the store gives no usable token.
 * A plain SHA-256 is enough: the values carry 256 bits of entropy and cannot be guessed.
 * A grant-bound token's digest is prefixed with its grant id (`<grantId>.<digest>`); the digest
 * covers the whole value, so a token whose grant id part was changed is simply not found.
 */
export function hashTokenValue(value: string): string {
  const digest = tokenDigest(value);
  const dot = value.indexOf('.');
  const grantId = dot >= GRANT_ID_LENGTH ? value.slice(dot - GRANT_ID_LENGTH, dot) : '';
  return GRANT_ID.test(grantId) ? `${grantId}.${digest}` : digest;
}

/** The grant id a token digest carries (`<grantId>.<digest>`, see `hashTokenValue`), so that a store can place it beside its grant; other digests have none. */
export function grantIdOfTokenHash(tokenHash: string): string | undefined {
  const dot = tokenHash.indexOf('.');
  return dot > 0 ? tokenHash.slice(0, dot) : undefined;
}
