import { randomInt } from 'node:crypto';

/** RFC 8628 §6.1: base-20 consonants, no vowels (no words) and no look-alikes such as 0/O or 1/I. */
const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const LENGTH = 8;

/** 8 characters, 20^8 ≈ 2^34.5 codes, normalized (see `formatUserCode` for showing it). */
export function generateUserCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** Shown as `XXXX-XXXX` (RFC 8628 §6.1). */
export function formatUserCode(normalized: string): string {
  return `${normalized.slice(0, 4)}-${normalized.slice(4)}`;
}

/**
 * RFC 8628 §6.1: what a person typed, case-insensitive, with dashes, spaces and other
 * punctuation left out; `undefined` when it cannot be a user code at all.
 */
export function normalizeUserCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 64) return undefined;
  const code = input.toUpperCase().replace(/[^A-Z]/g, '');
  return code.length === LENGTH && [...code].every((char) => ALPHABET.includes(char)) ? code : undefined;
}
