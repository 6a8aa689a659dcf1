import type { Request } from 'express';
import { DEVICE_CODE_GRANT_TYPE } from '../grants/device-code';
import { hashInitialAccessToken } from '../registration/initial-access-token';
import type { RegisteredClientMetadata } from '../registration/metadata';
import { isScopeToken } from '../scope';
import type { Store } from '../stores/store';
import { checkFunction, checkOptionsObject, checkPositiveInteger, type KnownKeys, type OptionPath } from './checks';

/** What a registration policy is told besides the metadata. */
export interface RegistrationContext {
  req: Request;
  /** `register`: POST to the registration endpoint (RFC 7591 §3); `update`: PUT to the client's URI (RFC 7592 §2.2). */
  operation: 'register' | 'update';
  /** The client's id, on an update. */
  clientId?: string;
  /** The initial access token the registration presented, when registration is gated by them. */
  initialAccessToken?: string;
}

/**
 * Sees the checked metadata of every registration and update before it is kept. Returns it,
 * changed or not (undefined keeps it as it is); throws `InvalidClientMetadataError` or
 * `InvalidRedirectUriError` to refuse, with a description the client sees (RFC 7591 §3.2.2).
 * What it returns must pass the same checks; anything else it throws is a `server_error`.
 */
export type RegistrationPolicy = (
  metadata: RegisteredClientMetadata,
  context: RegistrationContext,
) => RegisteredClientMetadata | undefined | void | Promise<RegisteredClientMetadata | undefined | void>;

/** Decides whether a presented initial access token (RFC 7591 §3) may register a client. */
export type InitialAccessTokenCheck = (token: string, req: Request) => boolean | Promise<boolean>;

/** The `registration` option: dynamic client registration (RFC 7591) and its management (RFC 7592). */
export interface RegistrationOptions {
  /**
   * Absent: open registration, anyone may register. Otherwise a registration needs an initial
   * access token as a Bearer token: one of these hashes (`hashInitialAccessToken(token)`), or
   * one the function accepts.
   */
  initialAccessTokens?: readonly string[] | InitialAccessTokenCheck;
  /** May change or refuse the metadata of every registration and update. */
  policy?: RegistrationPolicy;
  /**
   * The grant types a registered client may ask for; each must be in `grants`. Default: those of
   * `grants` among authorization_code, refresh_token, client_credentials and the device grant.
   */
  grantTypes?: readonly string[];
  /** The scopes a registered client may have; the rest of what it asks for is left out (default: none). */
  scopes?: readonly string[];
  /** The scopes of a client that asks for none (default: `scopes`). */
  defaultScopes?: readonly string[];
  /** Registrations from one address (an IPv6 /64): at most `max` in any `windowSeconds` (default 20 per 3600), or false. */
  perAddress?: { max?: number; windowSeconds?: number } | false;
  /** Most clients registered at once (default 10000); past it, registration answers 503. */
  maxClients?: number;
}

export interface CheckedRegistrationOptions {
  initialAccessToken?: InitialAccessTokenCheck;
  policy?: RegistrationPolicy;
  grantTypes: readonly string[];
  scopes: readonly string[];
  defaultScopes: readonly string[];
  perAddress: { max: number; windowSeconds: number } | false;
  maxClients: number;
}

const REGISTRATION_KEYS: KnownKeys<RegistrationOptions> = {
  initialAccessTokens: true, policy: true, grantTypes: true, scopes: true, defaultScopes: true, perAddress: true, maxClients: true,
};
const PER_ADDRESS_KEYS: KnownKeys<Exclude<NonNullable<RegistrationOptions['perAddress']>, false>> = { max: true, windowSeconds: true };

/** Grant types a self-registered client gets by default, when the server has them: never the password grant. */
const DEFAULT_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT_TYPE];

/** Checks `registration` (undefined: registration off). */
export function checkRegistrationOptions(
  at: OptionPath,
  value: unknown,
  { store, enabledGrantTypes }: { store: Store; enabledGrantTypes: ReadonlySet<string> },
): CheckedRegistrationOptions | undefined {
  if (value === undefined) return undefined;
  const options = checkOptionsObject(at, value, REGISTRATION_KEYS, '{ initialAccessTokens?, policy?, grantTypes?, scopes?, perAddress?, maxClients? }');
  if (store.registeredClients === undefined) {
    throw at.error('needs a store that keeps registered clients (`registeredClients`): memoryStore() and redisStore() do');
  }
  const { scopes, defaultScopes } = checkScopeLists(at, options);
  const perAddress = options.perAddress === false ? false : checkOptionsObject(at.at('perAddress'), options.perAddress, PER_ADDRESS_KEYS, 'false or { max, windowSeconds }');
  return {
    ...(options.initialAccessTokens !== undefined && { initialAccessToken: checkInitialAccessTokens(at.at('initialAccessTokens'), options.initialAccessTokens) }),
    ...(options.policy !== undefined && { policy: checkFunction(at.at('policy'), options.policy) }),
    grantTypes: checkGrantTypes(at.at('grantTypes'), options.grantTypes, enabledGrantTypes),
    scopes,
    defaultScopes,
    perAddress:
      perAddress === false
        ? false
        : {
            max: checkPositiveInteger(at.at('perAddress').at('max'), perAddress.max, 20),
            windowSeconds: checkPositiveInteger(at.at('perAddress').at('windowSeconds'), perAddress.windowSeconds, 3600),
          },
    maxClients: checkPositiveInteger(at.at('maxClients'), options.maxClients, 10_000),
  };
}

function checkInitialAccessTokens(at: OptionPath, value: unknown): InitialAccessTokenCheck {
  if (typeof value === 'function') return value as InitialAccessTokenCheck;
  const isHash = (item: unknown) => typeof item === 'string' && /^[A-Za-z0-9_-]{43}$/.test(item);
  if (!Array.isArray(value) || !value.every(isHash)) {
    throw at.error('must be an array of hashInitialAccessToken(token) values, or a function (token, req) => boolean');
  }
  const hashes = new Set(value as string[]);
  return (token) => hashes.has(hashInitialAccessToken(token));
}

function checkGrantTypes(at: OptionPath, value: unknown, enabled: ReadonlySet<string>): readonly string[] {
  if (value === undefined) return DEFAULT_GRANT_TYPES.filter((type) => enabled.has(type));
  if (!Array.isArray(value) || !value.every((type) => typeof type === 'string')) throw at.error('must be an array of grant types');
  const disabled = value.filter((type) => !enabled.has(type));
  if (disabled.length > 0) throw at.error(`lists ${disabled.map((type) => JSON.stringify(type)).join(', ')}, not enabled in \`grants\``);
  return [...new Set(value as string[])];
}

/** `scopes` a self-describing client may have (default none), and `defaultScopes` among them (default: all of them). */
export function checkScopeLists(at: OptionPath, options: { scopes?: unknown; defaultScopes?: unknown }): { scopes: readonly string[]; defaultScopes: readonly string[] } {
  const scopes = checkScopes(at.at('scopes'), options.scopes, []);
  const defaultScopes = checkScopes(at.at('defaultScopes'), options.defaultScopes, scopes);
  const beyond = defaultScopes.filter((scope) => !scopes.includes(scope));
  if (beyond.length > 0) throw at.at('defaultScopes').error(`has ${beyond.join(', ')}, not in \`scopes\``);
  return { scopes, defaultScopes };
}

function checkScopes(at: OptionPath, value: unknown, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || !value.every((scope) => typeof scope === 'string' && isScopeToken(scope))) {
    throw at.error('must be an array of scope tokens (RFC 6749 §3.3)');
  }
  return [...new Set(value as string[])];
}
