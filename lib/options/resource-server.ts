import { isIP } from 'node:net';
import { systemClock, type Clock } from '../clock';
import { addressKind } from '../http/address-policy';
import { isScopeToken } from '../scope';
import { SIGNING_ALGORITHMS } from './signing-keys';
import { checkDpop, type DpopOptions, type DpopSettings } from './dpop';
import { missingStoreMethods, type Store } from '../stores/store';
import { ACCESS_TOKEN_ALGORITHMS } from '../tokens/jwt-access-token';
import {
  checkHttpsIdentifier,
  checkBoolean,
  checkFunction,
  checkNonNegativeInteger,
  checkOptionsObject,
  checkPlainString,
  checkPositiveInteger,
  OptionPath,
  type KnownKeys,
} from './checks';

export interface ResourceServerOptions {
  /** The issuer identifier of the authorization server whose tokens are accepted (RFC 8414 §2): an https URL. */
  issuer: string;
  /** This resource's identifier (RFC 8707 §2, RFC 9728 §1.2): the audience tokens must carry. */
  resource: string;
  /** Scopes listed in the RFC 9728 document (`scopes_supported`). */
  scopes?: readonly string[];
  /** `resource_name` in the RFC 9728 document. */
  resourceName?: string;
  /**
   * RFC 7662: opaque tokens are checked at the issuer's introspection endpoint with these client
   * credentials (client_secret_basic). Without it, only JWT access tokens are accepted.
   */
  introspection?: {
    clientId: string;
    clientSecret: string;
    /** How long an active answer is used, at most, in seconds (default 30): the bound on seeing a revocation. */
    cacheSeconds?: number;
    /** Most answers kept (default 10000). */
    maxEntries?: number;
  };
  /** Whether an introspected token whose answer has no `aud` is accepted (default false). */
  acceptTokensWithoutAudience?: boolean;
  /** JWS algorithms accepted for JWT access tokens (default ES256, RS256, PS256, EdDSA); asymmetric ones only. */
  algorithms?: readonly string[];
  /** Leeway for the clocks of this host and the issuer, in seconds, on `exp`, `nbf` and `iat` (default 5). */
  clockToleranceSeconds?: number;
  /** Development only: an http issuer and http URLs on loopback hosts (default false). */
  allowHttpLoopback?: boolean;
  /** The realm of `WWW-Authenticate` challenges (default: the resource). */
  realm?: string;
  /** Called with what went wrong when the issuer cannot be reached or answers wrongly (never with a token). */
  onError?: (error: unknown) => void;
  /** The time limit of every request to the issuer, in milliseconds (default 5000). */
  fetchTimeoutMs?: number;
  /**
   * DPoP (RFC 9449): tokens bound to a key are accepted with `Authorization: DPoP` and a proof,
   * never as Bearer. On by default; `false` turns it off.
   */
  dpop?: DpopOptions | false;
  /**
   * Where the proofs' `jti`s are remembered (RFC 9449 §11.1): a `redisStore()` shared by every
   * instance of this resource server; default: this process's memory (one instance only).
   */
  store?: Store;
  /** Seconds since the epoch; for tests. */
  clock?: Clock;
}

export interface ResourceServerSettings {
  issuer: string;
  resource: string;
  scopes?: readonly string[];
  resourceName?: string;
  introspection?: { clientId: string; clientSecret: string; cacheSeconds: number; maxEntries: number };
  acceptTokensWithoutAudience: boolean;
  algorithms: readonly string[];
  clockToleranceSeconds: number;
  allowHttpLoopback: boolean;
  realm: string;
  onError: (error: unknown) => void;
  fetchTimeoutMs: number;
  dpop?: DpopSettings;
  store?: Store;
  clock: Clock;
}

const RESOURCE_SERVER = new OptionPath('resourceServer');
const KEYS: KnownKeys<ResourceServerOptions> = {
  issuer: true, resource: true, scopes: true, resourceName: true, introspection: true, acceptTokensWithoutAudience: true, algorithms: true,
  clockToleranceSeconds: true, allowHttpLoopback: true, realm: true, onError: true, fetchTimeoutMs: true, dpop: true, store: true, clock: true,
};
const INTROSPECTION_KEYS: KnownKeys<NonNullable<ResourceServerOptions['introspection']>> = { clientId: true, clientSecret: true, cacheSeconds: true, maxEntries: true };

/** Checks `resourceServer()`'s options once, at start-up, and fills in the defaults. */
export function resolveResourceServerOptions(value: unknown): ResourceServerSettings {
  if (typeof value !== 'object' || value === null) throw RESOURCE_SERVER.error('must be an object');
  const options = checkOptionsObject(RESOURCE_SERVER, value, KEYS, 'an object');
  const at = (key: keyof ResourceServerOptions) => RESOURCE_SERVER.at(key);
  const allowHttpLoopback = checkBoolean(at('allowHttpLoopback'), options.allowHttpLoopback, false);
  const issuer = checkIssuerAddress(
    at('issuer'),
    checkHttpsIdentifier(at('issuer'), options.issuer, 'the issuer identifier of the authorization server, e.g. "https://auth.example.com/oauth"', allowHttpLoopback),
    allowHttpLoopback,
  );
  const resource = checkHttpsIdentifier(at('resource'), options.resource, 'this resource\'s identifier, e.g. "https://api.example.com/reports"');
  return {
    issuer,
    resource,
    ...(options.scopes !== undefined && { scopes: checkScopes(at('scopes'), options.scopes) }),
    ...(options.resourceName !== undefined && { resourceName: checkName(at('resourceName'), options.resourceName) }),
    ...(options.introspection !== undefined && { introspection: checkIntrospection(at('introspection'), options.introspection) }),
    acceptTokensWithoutAudience: checkBoolean(at('acceptTokensWithoutAudience'), options.acceptTokensWithoutAudience, false),
    algorithms: checkAlgorithms(at('algorithms'), options.algorithms),
    clockToleranceSeconds: checkNonNegativeInteger(at('clockToleranceSeconds'), options.clockToleranceSeconds, 5),
    allowHttpLoopback,
    realm: checkPlainString(at('realm'), options.realm, /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,200}$/, resource),
    onError: checkFunction(at('onError'), options.onError) ?? (() => {}),
    fetchTimeoutMs: checkPositiveInteger(at('fetchTimeoutMs'), options.fetchTimeoutMs, 5000),
    dpop: checkDpop(at('dpop'), options.dpop),
    ...(options.store !== undefined && { store: checkReplayStore(at('store'), options.store) }),
    clock: checkFunction(at('clock'), options.clock) ?? systemClock,
  };
}


/** A store for the DPoP replay records: one with `rememberOnce` (memoryStore() or redisStore()). */
function checkReplayStore(at: OptionPath, store: unknown): Store {
  if (missingStoreMethods(store).length > 0 || typeof (store as Store).rememberOnce !== 'function') {
    throw at.error('must be a store that keeps replay records: redisStore({ url }) shared by the instances, or memoryStore()');
  }
  return store as Store;
}

/** An issuer named by an IP address that the guarded fetch would refuse is found now, not at the first request. */
function checkIssuerAddress(at: OptionPath, issuer: string, allowHttpLoopback: boolean): string {
  const host = new URL(issuer).hostname.replace(/^\[(.*)\]$/, '$1');
  const kind = isIP(host) === 0 ? 'public' : addressKind(host);
  if (kind === 'blocked' || (kind === 'loopback' && !allowHttpLoopback)) {
    throw at.error(`names ${host}, which is not a public address: tokens could never be checked (loopback needs allowHttpLoopback: true, for development)`);
  }
  return issuer;
}

function checkScopes(at: OptionPath, value: unknown): readonly string[] {
  if (!Array.isArray(value) || !value.every((scope) => typeof scope === 'string' && isScopeToken(scope))) {
    throw at.error('must be an array of scope tokens (RFC 6749 §3.3), e.g. ["reports:read"]');
  }
  return [...(value as string[])];
}

function checkName(at: OptionPath, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw at.error('must be a non-empty string');
  return value;
}

function checkIntrospection(at: OptionPath, value: unknown): NonNullable<ResourceServerSettings['introspection']> {
  const options = checkOptionsObject(at, value, INTROSPECTION_KEYS, '{ clientId, clientSecret, cacheSeconds?, maxEntries? }');
  for (const key of ['clientId', 'clientSecret'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') throw at.at(key).error('is required: the credentials this resource server introspects with');
  }
  return {
    clientId: options.clientId as string,
    clientSecret: options.clientSecret as string,
    cacheSeconds: checkNonNegativeInteger(at.at('cacheSeconds'), options.cacheSeconds, 30),
    maxEntries: checkPositiveInteger(at.at('maxEntries'), options.maxEntries, 10_000),
  };
}

/** RFC 9068 §4 and RFC 8725 §3.1: an allow-list of asymmetric algorithms; `none` and HS* are refused. */
function checkAlgorithms(at: OptionPath, value: unknown): readonly string[] {
  // By default, what this package's server signs with.
  if (value === undefined) return SIGNING_ALGORITHMS;
  if (!Array.isArray(value) || value.length === 0 || !value.every((alg) => ACCESS_TOKEN_ALGORITHMS.includes(alg as string))) {
    throw at.error(`must be a non-empty array of ${ACCESS_TOKEN_ALGORITHMS.join(', ')} (never none or an HMAC algorithm), got ${JSON.stringify(value)}`);
  }
  return [...(value as string[])];
}
