import type { ClientAuthFailedEvent } from '../client-auth/authenticate';
import { ClientMetadataError, type ClientMetadata } from '../clients/client';
import { clientRegistry, type ClientLookup, type ClientRegistry } from '../clients/registry';
import { systemClock, type Clock } from '../clock';
import { isDeviceAuthorization, type DeviceAuthorizationGrant } from '../grants/device-code';
import type { AuthorizationOptions } from './authorization';
import type { FormLimits } from '../http/form-params';
import { clientCredentials } from '../grants/client-credentials';
import { isValidGrantType, type Grant } from '../grants/grant';
import type { BruteForceOptions, ClientAuthLimits } from '../limits/brute-force';
import { memoryStore } from '../stores/memory/store';
import { missingStoreMethods, type Store } from '../stores/store';
import type { TokenIssuedEvent } from '../tokens/issuer';
import { checkAuthorizationOptions, type CheckedAuthorizationOptions } from './authorization';
import {
  checkHttpsIdentifier,
  checkBoolean,
  checkByteSize,
  checkFunction,
  checkNonNegativeInteger,
  checkOptionsObject,
  checkPlainString,
  checkPositiveInteger,
  OptionPath,
  type KnownKeys,
} from './checks';
import { checkBruteForce } from './limits';
import { checkResources, type ResourceOptions } from './resources';
import { checkDpop, type DpopOptions, type DpopSettings } from './dpop';
import { checkClientIdMetadataDocumentOptions, type CheckedClientIdMetadataDocumentOptions, type ClientIdMetadataDocumentOptions } from './client-id-metadata';
import { checkRegistrationOptions, type CheckedRegistrationOptions, type RegistrationOptions } from './registration';
import type { Resources } from '../resource/resources';
import { resolveSigningKeyOptions, type CheckedSigningKeyOptions, type SigningKeyOptions } from './signing-keys';

export interface OAuthServerOptions {
  /** The issuer identifier (RFC 8414 §2): an https URL (http only on loopback), no query or fragment. */
  issuer: string;
  /** RFC 7591 client metadata, or an async lookup for clients kept in the host app's database. */
  clients: readonly ClientMetadata[] | ClientLookup;
  /** The grant types the token endpoint handles (default: client credentials only). */
  grants?: readonly Grant[];
  /** Where tokens are kept (default: `memoryStore()`, with this server's `clock`). */
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
  /**
   * The `aud` of introspection responses for tokens issued without a resource (tokens for a
   * resource have it as their audience).
   */
  audience?: string | string[];
  /**
   * The resource servers tokens can be asked for with the `resource` parameter (RFC 8707): a
   * token for one carries its uri as audience, only its scopes, and by default is a JWT (RFC 9068).
   */
  resources?: readonly ResourceOptions[];
  /**
   * The keys that sign JWT access tokens: the host's (`keys`), or generated and rotated in the
   * store (default). Used only when a resource has JWT access tokens.
   */
  signingKeys?: SigningKeyOptions;
  /**
   * DPoP (RFC 9449): tokens bound to a key the client proves it holds. On by default (a client
   * that sends no proof gets Bearer tokens as before); `false` turns it off.
   */
  dpop?: DpopOptions | false;
  /**
   * Limits on failed client authentication, per client id and per source address (`req.ip`:
   * set Express's `trust proxy` behind a proxy), counted in the store. On by default; `false`
   * turns them off.
   */
  bruteForce?: BruteForceOptions | false;
  /**
   * How URLs that clients name are fetched (a `private_key_jwt` client's `jwks_uri`): always
   * through the guarded fetch (https only, no private, loopback or link-local addresses, time
   * and size limits, no redirects).
   */
  clientFetch?: ClientFetchOptions;
  /** Dynamic client registration (RFC 7591) and its management (RFC 7592); off by default. */
  registration?: RegistrationOptions;
  /**
   * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a `client_id`
   * that is an https URL with a path is the URL of the client's metadata, fetched by the server
   * (with the authorization code grant; off by default).
   */
  clientIdMetadataDocuments?: ClientIdMetadataDocumentOptions | false;
  /** Called when a token is issued (no token value is passed). */
  onTokenIssued?: (event: TokenIssuedEvent) => void;
  /** Called when client authentication fails (no secret is passed). */
  onClientAuthFailed?: (event: ClientAuthFailedEvent) => void;
  /** Called with unexpected errors (answered as `server_error`), for the host app's logs. */
  onError?: (error: unknown) => void;
  /** Seconds since the epoch; for tests. */
  clock?: Clock;
}

export interface ClientFetchOptions {
  /** Development only: http URLs of loopback hosts, and loopback addresses, may be fetched (default false). */
  allowHttpLoopback?: boolean;
  /** The whole fetch, in milliseconds (default 5000). */
  timeoutMs?: number;
  /** After a key set is fetched, an assertion with an unknown `kid` is refused without fetching again for this many seconds (default 30). */
  keysCooldownSeconds?: number;
  /** Fetched keys are used for this many seconds before the set is fetched again (default 600). */
  keysMaxAgeSeconds?: number;
}

/** Everything `oauthServer()` runs with: the options checked, with their defaults filled in. */
export interface ServerSettings {
  issuer: string;
  grants: readonly Grant[];
  enabledGrantTypes: ReadonlySet<string>;
  clock: Clock;
  store: Store;
  clients: ClientRegistry;
  accessTokenLifetime: number;
  /** With the refresh_token grant only. */
  refreshTokens?: { absoluteLifetime: number; idleLifetime: number; reuseGraceSeconds: number };
  tokenPrefix: string;
  realm: string;
  limits: FormLimits;
  audience?: string | string[];
  resources: Resources;
  /** With a resource whose tokens are JWTs only. */
  jwt?: { keys: CheckedSigningKeyOptions; longestLifetime: number };
  introspectOwnTokens: boolean;
  bearerMethods: { body: boolean; query: boolean };
  bruteForce: ClientAuthLimits | false;
  /** DPoP (RFC 9449), unless turned off. */
  dpop?: DpopSettings;
  /** The users who sign in and consent, for the authorization code flow and the device flow. */
  authorization?: CheckedAuthorizationOptions;
  /** The authorization endpoint's options, with the authorization code grant only. */
  codeFlow?: CheckedAuthorizationOptions;
  deviceGrant?: DeviceAuthorizationGrant;
  /** With the `registration` option. */
  registration?: CheckedRegistrationOptions;
  clientFetch: { allowHttpLoopback: boolean; timeoutMs: number; keysCooldownMs: number; keysMaxAgeMs: number };
  /** With the `clientIdMetadataDocuments` option. */
  clientIdMetadataDocuments?: CheckedClientIdMetadataDocumentOptions;
  onTokenIssued?: (event: TokenIssuedEvent) => void;
  onClientAuthFailed?: (event: ClientAuthFailedEvent) => void;
  onError: (error: unknown) => void;
}

const SERVER = new OptionPath('oauthServer');

const SERVER_KEYS: KnownKeys<OAuthServerOptions> = {
  issuer: true, clients: true, grants: true, store: true, accessTokenLifetime: true, refreshTokenLifetime: true,
  refreshTokenIdleLifetime: true, refreshTokenReuseGrace: true, authorization: true, tokenPrefix: true, realm: true, bearerMethods: true, limits: true,
  introspection: true, audience: true, resources: true, signingKeys: true, dpop: true, bruteForce: true, registration: true, clientFetch: true,
  clientIdMetadataDocuments: true, onTokenIssued: true, onClientAuthFailed: true, onError: true, clock: true,
};
const LIMITS_KEYS: KnownKeys<NonNullable<OAuthServerOptions['limits']>> = { maxBodySize: true, maxParameters: true, maxParameterLength: true };
const INTROSPECTION_KEYS: KnownKeys<NonNullable<OAuthServerOptions['introspection']>> = { ownTokens: true };
const CLIENT_FETCH_KEYS: KnownKeys<ClientFetchOptions> = { allowHttpLoopback: true, timeoutMs: true, keysCooldownSeconds: true, keysMaxAgeSeconds: true };
const BEARER_METHODS_KEYS: KnownKeys<NonNullable<OAuthServerOptions['bearerMethods']>> = { body: true, query: true };

/** Checks `oauthServer()`'s options once, at start-up, and fills in the defaults. */
export function resolveServerOptions(value: unknown): ServerSettings {
  if (typeof value !== 'object' || value === null) throw SERVER.error('must be an object');
  const options = checkOptionsObject(SERVER, value, SERVER_KEYS, 'an object');
  // RFC 8414 §2: "a URL that uses the https scheme and has no query or fragment components".
  const issuer = checkHttpsIdentifier(SERVER.at('issuer'), options.issuer, 'the https URL of this server, e.g. "https://api.example.com/oauth"');
  const grants = checkGrants(SERVER.at('grants'), options.grants ?? [clientCredentials()]);
  const enabledGrantTypes = new Set(grants.map((grant) => grant.type));
  // The default store keeps time with the server's clock.
  const clock = checkFunction(SERVER.at('clock'), options.clock) ?? systemClock;
  const store = options.store === undefined ? memoryStore({ clock }) : checkStore(SERVER.at('store'), options.store);
  const limits = checkOptionsObject(SERVER.at('limits'), options.limits, LIMITS_KEYS, '{ maxBodySize, maxParameters, maxParameterLength }');
  const introspection = checkOptionsObject(SERVER.at('introspection'), options.introspection, INTROSPECTION_KEYS, '{ ownTokens }');
  const bearerMethods = checkOptionsObject(SERVER.at('bearerMethods'), options.bearerMethods, BEARER_METHODS_KEYS, '{ body, query }');

  const deviceGrant = grants.find(isDeviceAuthorization);
  // The users who sign in and consent: those of the authorization code flow and of the device flow.
  const hasUsers = enabledGrantTypes.has('authorization_code') || deviceGrant !== undefined;
  if (!hasUsers && options.authorization !== undefined) {
    throw SERVER.at('authorization').error('is only used with the authorizationCode() grant and with deviceAuthorization(): add one to `grants`');
  }
  const authorization = hasUsers ? checkAuthorizationOptions(SERVER.at('authorization'), options.authorization) : undefined;
  const accessTokenLifetime = checkPositiveInteger(SERVER.at('accessTokenLifetime'), options.accessTokenLifetime, 3600);
  const resources = checkResources(SERVER.at('resources'), options.resources);

  return {
    issuer,
    grants,
    enabledGrantTypes,
    clock,
    store,
    clients: checkClients(SERVER.at('clients'), options.clients, enabledGrantTypes),
    accessTokenLifetime,
    ...(enabledGrantTypes.has('refresh_token') && {
      refreshTokens: {
        absoluteLifetime: checkPositiveInteger(SERVER.at('refreshTokenLifetime'), options.refreshTokenLifetime, 30 * 24 * 3600),
        idleLifetime: checkPositiveInteger(SERVER.at('refreshTokenIdleLifetime'), options.refreshTokenIdleLifetime, 14 * 24 * 3600),
        reuseGraceSeconds: checkNonNegativeInteger(SERVER.at('refreshTokenReuseGrace'), options.refreshTokenReuseGrace, 10),
      },
    }),
    tokenPrefix: checkPlainString(SERVER.at('tokenPrefix'), options.tokenPrefix, /^[A-Za-z0-9_-]{0,16}$/, ''),
    realm: checkPlainString(SERVER.at('realm'), options.realm, /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,200}$/, issuer),
    limits: {
      maxBodySize: checkByteSize(SERVER.at('limits').at('maxBodySize'), limits.maxBodySize, 16 * 1024),
      maxParameters: checkPositiveInteger(SERVER.at('limits').at('maxParameters'), limits.maxParameters, 50),
      maxParameterLength: checkPositiveInteger(SERVER.at('limits').at('maxParameterLength'), limits.maxParameterLength, 4096),
    },
    audience: checkAudience(SERVER.at('audience'), options.audience),
    resources,
    jwt: checkJwtSettings(options, resources, store, accessTokenLifetime),
    introspectOwnTokens: checkBoolean(SERVER.at('introspection').at('ownTokens'), introspection.ownTokens, true),
    bearerMethods: {
      body: checkBoolean(SERVER.at('bearerMethods').at('body'), bearerMethods.body, false),
      query: checkBoolean(SERVER.at('bearerMethods').at('query'), bearerMethods.query, false),
    },
    bruteForce: checkBruteForce(SERVER.at('bruteForce'), options.bruteForce),
    dpop: checkDpop(SERVER.at('dpop'), options.dpop),
    authorization,
    // The authorization endpoint only with the authorization code grant (`authorization` may be there for the device flow alone).
    codeFlow: enabledGrantTypes.has('authorization_code') ? authorization : undefined,
    deviceGrant,
    clientFetch: checkClientFetch(SERVER.at('clientFetch'), options.clientFetch),
    registration: checkRegistrationOptions(SERVER.at('registration'), options.registration, { store, enabledGrantTypes }),
    clientIdMetadataDocuments: checkClientIdMetadataDocumentOptions(SERVER.at('clientIdMetadataDocuments'), options.clientIdMetadataDocuments, enabledGrantTypes),
    onTokenIssued: checkFunction(SERVER.at('onTokenIssued'), options.onTokenIssued),
    onClientAuthFailed: checkFunction(SERVER.at('onClientAuthFailed'), options.onClientAuthFailed),
    onError: checkFunction(SERVER.at('onError'), options.onError) ?? (() => {}),
  };
}

/**
 * The signing keys, when a resource has JWT access tokens (a shared store holds generated
 * private keys only with the host's opt-in), and the longest such a token lives: a retired key
 * stays published that long.
 */
function checkJwtSettings(options: Partial<OAuthServerOptions>, resources: Resources, store: Store, accessTokenLifetime: number): ServerSettings['jwt'] {
  const jwtResources = [...resources.values()].filter((resource) => resource.accessTokenFormat === 'jwt');
  if (jwtResources.length === 0) {
    if (options.signingKeys !== undefined) throw SERVER.at('signingKeys').error("is only used for JWT access tokens: add a resource with accessTokenFormat 'jwt' (the default) to `resources`");
    return undefined;
  }
  return {
    keys: resolveSigningKeyOptions(SERVER.at('signingKeys'), options.signingKeys, store),
    longestLifetime: Math.max(...jwtResources.map((resource) => resource.accessTokenLifetime ?? accessTokenLifetime)),
  };
}

function checkClientFetch(at: OptionPath, value: unknown): ServerSettings['clientFetch'] {
  const options = checkOptionsObject(at, value, CLIENT_FETCH_KEYS, '{ allowHttpLoopback, timeoutMs, keysCooldownSeconds, keysMaxAgeSeconds }');
  return {
    allowHttpLoopback: checkBoolean(at.at('allowHttpLoopback'), options.allowHttpLoopback, false),
    timeoutMs: checkPositiveInteger(at.at('timeoutMs'), options.timeoutMs, 5000),
    keysCooldownMs: checkPositiveInteger(at.at('keysCooldownSeconds'), options.keysCooldownSeconds, 30) * 1000,
    keysMaxAgeMs: checkPositiveInteger(at.at('keysMaxAgeSeconds'), options.keysMaxAgeSeconds, 600) * 1000,
  };
}

function checkGrants(at: OptionPath, grants: unknown): readonly Grant[] {
  if (!Array.isArray(grants) || grants.length === 0) throw at.error('must be a non-empty array of grants, e.g. [clientCredentials()]');
  const seen = new Set<string>();
  for (const grant of grants as Grant[]) {
    if (typeof grant !== 'object' || grant === null || typeof grant.handle !== 'function' || !Array.isArray(grant.parameters)) {
      throw at.error('has an entry that is not a grant ({ type, parameters, handle })');
    }
    if (!isValidGrantType(grant.type)) {
      throw at.error(`has grant type ${JSON.stringify(grant.type)}: a name or an absolute URI is needed (RFC 6749 §4.5)`);
    }
    if (seen.has(grant.type)) throw at.error(`lists ${JSON.stringify(grant.type)} twice`);
    seen.add(grant.type);
  }
  return grants as Grant[];
}

function checkStore(at: OptionPath, store: unknown): Store {
  const missing = missingStoreMethods(store);
  if (missing.length > 0) {
    throw at.error(`is not a store: use memoryStore(), redisStore({ url }) or an object with the Store methods (missing: ${missing.join(', ')})`);
  }
  return store as Store;
}

function checkClients(at: OptionPath, clients: unknown, enabledGrantTypes: ReadonlySet<string>): ClientRegistry {
  try {
    return clientRegistry(clients as readonly ClientMetadata[] | ClientLookup, enabledGrantTypes);
  } catch (error) {
    if (error instanceof ClientMetadataError) throw at.error(`is invalid: ${error.message}`);
    throw error;
  }
}

function checkAudience(at: OptionPath, value: unknown): string | string[] | undefined {
  const valid = (item: unknown) => typeof item === 'string' && item.length > 0;
  if (value === undefined || valid(value) || (Array.isArray(value) && value.length > 0 && value.every(valid))) {
    return value as string | string[] | undefined;
  }
  throw at.error('must be a non-empty string or array of strings');
}
