import type { ClientMetadata } from './clients/client';
import type { ClientLookup } from './clients/registry';
import type { ClientAuthFailedEvent } from './client-auth/authenticate';
import { isValidGrantType, type Grant } from './grants/grant';
import { missingStoreMethods, type Store } from './stores/store';
import type { TokenIssuedEvent } from './tokens/issuer';
import type { Clock } from './clock';
import type { AuthorizationOptions } from './endpoints/authorization-options';
import type { AttemptLimit } from './limits/attempt-limiter';
import { DEFAULT_BRUTE_FORCE, type BruteForceOptions, type ClientAuthLimits } from './limits/brute-force';

export interface OAuthServerOptions {
  /** The issuer identifier (RFC 8414 §2): an https URL (http only on loopback), no query or fragment. */
  issuer: string;
  /** RFC 7591 client metadata, or an async lookup for clients kept in the host app's database. */
  clients: readonly ClientMetadata[] | ClientLookup;
  /** The grant types the token endpoint handles (default: client credentials only). */
  grants?: readonly Grant[];
  /** Where tokens are kept (default: `memoryStore()`). */
  store?: Store;
  /** Access token lifetime in seconds (default 3600); a client's `access_token_lifetime` overrides it. */
  accessTokenLifetime?: number;
  /** Refresh token absolute lifetime in seconds, from the user's authorization on (default 2592000, 30 days). */
  refreshTokenLifetime?: number;
  /** A refresh token not used for this many seconds expires (default 1209600, 14 days). */
  refreshTokenIdleLifetime?: number;
  /**
   * Seconds after a rotation during which the same client presenting the rotated refresh token
   * again is refused without revoking the grant (a retry of a refresh whose answer was lost);
   * default 10, 0 turns the grace off.
   */
  refreshTokenReuseGrace?: number;
  /** The authorization endpoint's users, login and consent; required with `authorizationCode()`. */
  authorization?: AuthorizationOptions;
  /** Prepended to every access and refresh token, so that secret scanners can find leaked ones (e.g. `"eos_at_"`). */
  tokenPrefix?: string;
  /** The realm of `WWW-Authenticate` challenges (default: the issuer). */
  realm?: string;
  /** RFC 6750 token methods beyond the Authorization header (both off by default). */
  bearerMethods?: { body?: boolean; query?: boolean };
  /**
   * Largest request body (default "16kb"), most parameters in one body (default 50), and
   * longest parameter value in a body or a query, in characters (default 4096).
   */
  limits?: { maxBodySize?: number | string; maxParameters?: number; maxParameterLength?: number };
  /** RFC 7662: whether a confidential client may introspect its own tokens (default true); `introspect_any` clients may introspect all. */
  introspection?: { ownTokens?: boolean };
  /** The `aud` of introspection responses: the resource servers the tokens are for. */
  audience?: string | string[];
  /**
   * Limits on failed client authentication, per client id and per source address (`req.ip`:
   * set Express's `trust proxy` behind a proxy), counted in the store. On by default; `false`
   * turns them off.
   */
  bruteForce?: BruteForceOptions | false;
  /** Called when a token is issued (no token value is passed). */
  onTokenIssued?: (event: TokenIssuedEvent) => void;
  /** Called when client authentication fails (no secret is passed). */
  onClientAuthFailed?: (event: ClientAuthFailedEvent) => void;
  /** Called with unexpected errors (answered as `server_error`), for the host app's logs. */
  onError?: (error: unknown) => void;
  /** Seconds since the epoch; for tests. */
  clock?: Clock;
}

/** A wrong option, found at start-up. The message names the option and what to do. */
export class OAuthServerOptionsError extends Error {
  override name = 'OAuthServerOptionsError';
  constructor(option: string, problem: string) {
    super(`oauthServer: option \`${option}\` ${problem}`);
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http on a loopback host only (development). */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

/** RFC 8414 §2: "a URL that uses the https scheme and has no query or fragment components". */
export function checkIssuer(issuer: unknown): string {
  if (typeof issuer !== 'string') throw new OAuthServerOptionsError('issuer', 'is required: the https URL of this server, e.g. "https://api.example.com/oauth"');
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new OAuthServerOptionsError('issuer', `must be an absolute URL, got ${JSON.stringify(issuer)}`);
  }
  if (url.search !== '' || url.hash !== '' || issuer.includes('?') || issuer.includes('#')) {
    throw new OAuthServerOptionsError('issuer', 'must have no query or fragment (RFC 8414 §2)');
  }
  if (!isHttpsOrLoopback(url)) {
    throw new OAuthServerOptionsError('issuer', 'must use https (http is accepted only for localhost)');
  }
  return issuer;
}

export function checkGrants(grants: unknown): readonly Grant[] {
  if (!Array.isArray(grants) || grants.length === 0) {
    throw new OAuthServerOptionsError('grants', 'must be a non-empty array of grants, e.g. [clientCredentials()]');
  }
  const seen = new Set<string>();
  for (const grant of grants as Grant[]) {
    if (typeof grant !== 'object' || grant === null || typeof grant.handle !== 'function' || !Array.isArray(grant.parameters)) {
      throw new OAuthServerOptionsError('grants', 'has an entry that is not a grant ({ type, parameters, handle })');
    }
    if (!isValidGrantType(grant.type)) {
      throw new OAuthServerOptionsError('grants', `has grant type ${JSON.stringify(grant.type)}: a name or an absolute URI is needed (RFC 6749 §4.5)`);
    }
    if (seen.has(grant.type)) throw new OAuthServerOptionsError('grants', `lists ${JSON.stringify(grant.type)} twice`);
    seen.add(grant.type);
  }
  return grants as Grant[];
}

export function checkStore(store: unknown): Store {
  const missing = missingStoreMethods(store);
  if (missing.length > 0) {
    throw new OAuthServerOptionsError('store', `is not a store: use memoryStore(), redisStore({ url }) or an object with the Store methods (missing: ${missing.join(', ')})`);
  }
  return store as Store;
}

export function checkPositiveInteger(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new OAuthServerOptionsError(option, `must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

export function checkNonNegativeInteger(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new OAuthServerOptionsError(option, `must be a whole number, 0 or more, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2 };

/** A size in bytes: a positive whole number, or a string such as "16kb" (units b, kb, mb). */
export function checkByteSize(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb)\s*$/i.exec(value) : null;
  const bytes = match === null ? value : Math.floor(Number(match[1]) * (BYTE_UNITS[match[2].toLowerCase()] as number));
  if (!Number.isSafeInteger(bytes) || (bytes as number) <= 0) {
    throw new OAuthServerOptionsError(option, `must be a positive number of bytes or a size such as "16kb", got ${JSON.stringify(value)}`);
  }
  return bytes as number;
}

export function checkFunction<T>(option: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new OAuthServerOptionsError(option, 'must be a function');
  return value;
}

/** Token prefixes and realms end up in headers and tokens: keep them to safe characters. */
export function checkPlainString(option: string, value: unknown, pattern: RegExp, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new OAuthServerOptionsError(option, `must match ${pattern}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function checkAudience(value: unknown): string | string[] | undefined {
  const valid = (item: unknown) => typeof item === 'string' && item.length > 0;
  if (value === undefined || valid(value) || (Array.isArray(value) && value.length > 0 && value.every(valid))) {
    return value as string | string[] | undefined;
  }
  throw new OAuthServerOptionsError('audience', 'must be a non-empty string or array of strings');
}

export function checkBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new OAuthServerOptionsError(option, 'must be true or false');
  return value;
}

/** `bruteForce`: each dimension is a limit (missing fields from the defaults) or `false`. */
export function checkBruteForce(value: unknown): ClientAuthLimits | false {
  if (value === false) return false;
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new OAuthServerOptionsError('bruteForce', 'must be false or { perClient, perAddress }');
  }
  const given = (value ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== 'perClient' && key !== 'perAddress') throw new OAuthServerOptionsError(`bruteForce.${key}`, 'is not an option: use perClient or perAddress');
  }
  const limits: ClientAuthLimits = {};
  for (const [option, dimension] of [['perClient', 'clientId'], ['perAddress', 'address']] as const) {
    const limit = checkAttemptLimit(`bruteForce.${option}`, given[option], DEFAULT_BRUTE_FORCE[dimension]);
    if (limit !== false) limits[dimension] = limit;
  }
  return limits;
}

/** One attempt limit: `false`, or `{ points, durationSeconds, blockSeconds }` with missing fields from `defaults`. */
export function checkAttemptLimit(option: string, value: unknown, defaults: AttemptLimit): AttemptLimit | false {
  if (value === false) return false;
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new OAuthServerOptionsError(option, 'must be false or { points, durationSeconds, blockSeconds }');
  }
  const fields = (value ?? {}) as Record<string, unknown>;
  return {
    points: checkPositiveInteger(`${option}.points`, fields.points, defaults.points),
    durationSeconds: checkPositiveInteger(`${option}.durationSeconds`, fields.durationSeconds, defaults.durationSeconds),
    blockSeconds: checkPositiveInteger(`${option}.blockSeconds`, fields.blockSeconds, defaults.blockSeconds),
  };
}
