import { isHttpsOrLoopback } from '../http/address-policy';

/*
 * The checks every option goes through, whichever factory takes it (oauthServer, the grants,
 * the stores). Each names the option by its path (`authorization.codeLifetime`), so a wrong
 * option is found at start-up with one message saying what to write instead.
 */

/** A wrong option, found at start-up. The message names the factory, the option's path and what to do. */
export class OAuthServerOptionsError extends TypeError {
  override name = 'OAuthServerOptionsError';
  /** The path of the wrong option, e.g. `authorization.codeLifetime`. */
  readonly option: string;
  constructor(option: string, problem: string, factory = 'oauthServer') {
    super(`${factory}: option \`${option}\` ${problem}`);
    this.option = option;
  }
}

/**
 * Where an option sits: the factory that takes it and the path within its options. Checks take
 * one so that nested objects name their keys in full (`bruteForce.perClient.points`).
 */
export class OptionPath {
  constructor(
    readonly factory: string,
    readonly path = '',
  ) {}

  /** The path of a key within this option. */
  at(key: string): OptionPath {
    return new OptionPath(this.factory, this.path === '' ? key : `${this.path}.${key}`);
  }

  error(problem: string): OAuthServerOptionsError {
    return new OAuthServerOptionsError(this.path === '' ? 'options' : this.path, problem, this.factory);
  }
}

/** Every key an options object may have: a `Record` over `keyof`, so adding an option and forgetting it here fails to compile. */
export type KnownKeys<T> = Record<keyof T, true>;

/**
 * An options object (`undefined` gives `{}`), with every key one of `known`: a misspelt option
 * is an error, not a silently ignored setting. `shape` tells, in the message, what is expected.
 */
export function checkOptionsObject<T extends object>(at: OptionPath, value: unknown, known: KnownKeys<T>, shape: string): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw at.error(`must be ${shape}`);
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(known, key)) {
      throw at.at(key).error(`is not an option${at.path === '' ? ` of ${at.factory}()` : ''}: use ${Object.keys(known).join(', ')}`);
    }
  }
  return value as Partial<T>;
}

export function checkPositiveInteger(at: OptionPath, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) <= 0) throw at.error(`must be a positive whole number, got ${JSON.stringify(value)}`);
  return value as number;
}

/** A positive number (fractions allowed) of at most `max`. */
export function checkPositiveNumber(at: OptionPath, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0 && value <= max)) throw at.error(`must be a positive number up to ${max}, got ${JSON.stringify(value)}`);
  return value;
}

/** A whole number where 0 turns the feature off. */
export function checkNonNegativeInteger(at: OptionPath, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw at.error(`must be a whole number, 0 or more, got ${JSON.stringify(value)}`);
  return value as number;
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2 };

/** A size in bytes: a positive whole number, or a string such as "16kb" (units b, kb, mb). */
export function checkByteSize(at: OptionPath, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb)\s*$/i.exec(value) : null;
  const bytes = match === null ? value : Math.floor(Number(match[1]) * (BYTE_UNITS[match[2].toLowerCase()] as number));
  if (!Number.isSafeInteger(bytes) || (bytes as number) <= 0) {
    throw at.error(`must be a positive number of bytes or a size such as "16kb", got ${JSON.stringify(value)}`);
  }
  return bytes as number;
}

export function checkFunction<T>(at: OptionPath, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw at.error('must be a function');
  return value;
}

/** A function the factory cannot work without; `usage` shows how to write it. */
export function requireFunction<T>(at: OptionPath, value: T | undefined, usage: string): T {
  const checked = checkFunction(at, value);
  if (checked === undefined) throw at.error(`is required: ${usage}`);
  return checked;
}

/** Strings that end up in headers, tokens or keys: kept to `pattern`. */
export function checkPlainString(at: OptionPath, value: unknown, pattern: RegExp, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !pattern.test(value)) throw at.error(`must match ${pattern}, got ${JSON.stringify(value)}`);
  return value;
}

/** One of a few named settings. */
export function checkOneOf<T extends string>(at: OptionPath, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw at.error(`must be ${allowed.map((name) => `'${name}'`).join(' or ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

export function checkBoolean(at: OptionPath, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw at.error('must be true or false');
  return value;
}

/**
 * An identifier that is an https URL (RFC 8414 §2 issuer, RFC 8707 §2 resource, RFC 9728 §1.2):
 * absolute, with no query or fragment (it is compared as one exact string) and only URI
 * characters (RFC 3986 §2: it is quoted in challenges, RFC 9110 §5.6.4). http only on a
 * loopback host (development), and only with `allowHttpLoopback`. `what` says what is expected.
 */
export function checkHttpsIdentifier(at: OptionPath, value: unknown, what: string, allowHttpLoopback = true): string {
  if (typeof value !== 'string') throw at.error(`is required: ${what}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw at.error(`must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  if (value.includes('?') || value.includes('#')) throw at.error('must have no query or fragment');
  if (/[^\x21-\x7E]|["<>\\^`{|}]/.test(value)) throw at.error(`must be a URI, with no spaces, quotes or other characters outside RFC 3986, got ${JSON.stringify(value)}`);
  if (url.protocol !== 'https:' && !(allowHttpLoopback && isHttpsOrLoopback(url))) {
    throw at.error(`must use https${allowHttpLoopback ? ' (http is accepted only for localhost)' : ' (http on localhost needs allowHttpLoopback: true, for development)'}`);
  }
  return value;
}
