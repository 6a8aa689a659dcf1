import { InvalidScopeError } from './errors';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/**
 * Parses a scope parameter: scope-tokens separated by single spaces (RFC 6749 §3.3).
 * Repeated tokens are folded, since the order and multiplicity do not matter.
 */
export function parseScope(value: string): string[] {
  const tokens = value.split(' ');
  for (const token of tokens) {
    if (!isScopeToken(token)) {
      throw new InvalidScopeError('The scope parameter is not a space-separated list of scope tokens.');
    }
  }
  return [...new Set(tokens)];
}

export function formatScope(scope: readonly string[]): string {
  return scope.join(' ');
}

export function includesAll(granted: readonly string[], required: readonly string[]): boolean {
  return required.every((token) => granted.includes(token));
}

/**
 * The scope to grant: the requested scope when it is within the allowed one, the allowed
 * one when none is requested (RFC 6749 §3.3 lets the server pick a default).
 */
export function resolveScope(requested: string | undefined, allowed: readonly string[]): string[] {
  if (requested === undefined) return [...allowed];
  const scope = parseScope(requested);
  if (!includesAll(allowed, scope)) {
    throw new InvalidScopeError('The requested scope exceeds the scope granted to the client.');
  }
  return scope;
}
