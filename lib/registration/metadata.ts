import type { JSONWebKeySet } from 'jose';
import { checkKeySource } from '../assertions/key-source';
import { InvalidClientMetadataError, InvalidRedirectUriError } from '../errors';
import { isHttpsOrLoopback } from '../http/address-policy';
import { isScopeToken } from '../scope';
import { checkRedirectUris, type ApplicationType } from './redirect-uris';

/**
 * The token endpoint authentication methods a client may register (RFC 7591 §2). The method
 * that uses keys (`private_key_jwt`, RFC 7523 §2.2) has its checks in `checkKeys`.
 */
export const REGISTRABLE_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'] as const;
export type RegistrableAuthMethod = (typeof REGISTRABLE_AUTH_METHODS)[number];

/** Methods that authenticate with a client_secret the server generates. */
export const SECRET_AUTH_METHODS: readonly RegistrableAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

/** Client metadata as registered (RFC 7591 §2), checked; what the registration responses carry besides the ids and credentials. */
export interface RegisteredClientMetadata {
  redirect_uris?: string[];
  token_endpoint_auth_method: RegistrableAuthMethod;
  grant_types: string[];
  response_types: string[];
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  scope?: string;
  contacts?: string[];
  tos_uri?: string;
  policy_uri?: string;
  jwks_uri?: string;
  jwks?: JSONWebKeySet;
  software_id?: string;
  software_version?: string;
  /** OpenID Connect Dynamic Client Registration 1.0 §2: `web` (default) or `native`. */
  application_type: ApplicationType;
  /** RFC 9126 §6: the client starts the authorization endpoint only with a pushed request. */
  require_pushed_authorization_requests?: boolean;
  /** RFC 9449 §5.2: every token request of the client carries a DPoP proof. */
  dpop_bound_access_tokens?: boolean;
}

/** What the server allows registered clients (the `registration` option's grant types and scopes). */
export interface MetadataRules {
  grantTypes: readonly string[];
  scopes: readonly string[];
  defaultScopes: readonly string[];
}

/** RFC 7591 §2.1: the response type each grant type goes with (only the code flow has one here). */
const RESPONSE_TYPE_OF_GRANT: Readonly<Record<string, string>> = { authorization_code: 'code' };
const SUPPORTED_RESPONSE_TYPES = new Set(Object.values(RESPONSE_TYPE_OF_GRANT));

const STRING_FIELDS = ['client_name', 'software_id', 'software_version'] as const;
/** RFC 9126 §6 and RFC 9449 §5.2: what a client asks the server to hold it to. */
const BOOLEAN_FIELDS = ['require_pushed_authorization_requests', 'dpop_bound_access_tokens'] as const;
const URL_FIELDS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const;
/** Longest string field value kept; the body limit bounds the whole. */
const MAX_STRING_LENGTH = 2000;

/**
 * Checks a registration request's metadata (RFC 7591 §2) and returns what is registered.
 * Fields this server does not understand are ignored (§2), this package's own client options
 * (`introspect_any`, `access_token_lifetime`) included: a client cannot give them to itself.
 * The scope is narrowed to the scopes registered clients may have (§2 lets the server replace
 * requested values); every other invalid value is refused with the §3.2.2 error.
 */
export function checkClientMetadata(body: unknown, rules: MetadataRules): RegisteredClientMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidClientMetadataError('The request body must be a JSON object of client metadata.');
  }
  const given = body as Record<string, unknown>;
  const field = (name: string): unknown => (given[name] === null ? undefined : given[name]);

  const applicationType = oneOf(field('application_type'), ['web', 'native'] as const, 'web', 'application_type');
  // RFC 7591 §2: the default method is client_secret_basic.
  const authMethod = oneOf(field('token_endpoint_auth_method'), REGISTRABLE_AUTH_METHODS, 'client_secret_basic', 'token_endpoint_auth_method');
  const grantTypes = checkGrantTypes(field('grant_types'), rules.grantTypes);
  const responseTypes = checkResponseTypes(field('response_types'), grantTypes);

  // RFC 6749 §4.4: client credentials are for clients that can authenticate.
  if (grantTypes.includes('client_credentials') && authMethod === 'none') {
    throw new InvalidClientMetadataError('The client_credentials grant needs a token_endpoint_auth_method other than none.');
  }
  const redirectUris = field('redirect_uris') === undefined ? undefined : checkRedirectUris(field('redirect_uris'), applicationType);
  // RFC 7591 §2, RFC 6749 §3.1.2.2: clients of redirect-based flows register their redirect URIs.
  if (responseTypes.length > 0 && (redirectUris === undefined || redirectUris.length === 0)) {
    throw new InvalidRedirectUriError('redirect_uris are required for the authorization_code grant.');
  }

  const metadata: RegisteredClientMetadata = {
    ...(redirectUris !== undefined && { redirect_uris: redirectUris }),
    token_endpoint_auth_method: authMethod,
    grant_types: grantTypes,
    response_types: responseTypes,
    application_type: applicationType,
  };
  const scope = checkScope(field('scope'), rules);
  if (scope !== undefined) metadata.scope = scope;
  for (const name of STRING_FIELDS) {
    const value = optionalString(field(name), name);
    if (value !== undefined) metadata[name] = value;
  }
  for (const name of URL_FIELDS) {
    const value = optionalUrl(field(name), name);
    if (value !== undefined) metadata[name] = value;
  }
  for (const name of BOOLEAN_FIELDS) {
    const value = field(name);
    if (value !== undefined && typeof value !== 'boolean') throw new InvalidClientMetadataError(`${name} must be true or false.`);
    if (value !== undefined) metadata[name] = value;
  }
  const contacts = field('contacts');
  if (contacts !== undefined) metadata.contacts = stringArray(contacts, 'contacts');
  Object.assign(metadata, checkKeys(field('jwks'), field('jwks_uri'), authMethod === 'private_key_jwt'));
  return metadata;
}

function checkGrantTypes(value: unknown, allowed: readonly string[]): string[] {
  // RFC 7591 §2: "If omitted, the default behavior is that the client will use only the authorization_code Grant Type."
  const grantTypes = value === undefined ? ['authorization_code'] : stringArray(value, 'grant_types');
  const refused = grantTypes.filter((type) => !allowed.includes(type));
  if (refused.length > 0) throw new InvalidClientMetadataError(`grant_types may only list ${allowed.join(', ') || 'nothing'} here.`);
  if (grantTypes.length === 0) throw new InvalidClientMetadataError('grant_types must not be empty.');
  return [...new Set(grantTypes)];
}

/** RFC 7591 §2.1: response_types and grant_types must agree; the default follows the grant types. */
function checkResponseTypes(value: unknown, grantTypes: readonly string[]): string[] {
  const implied = grantTypes.flatMap((type) => (RESPONSE_TYPE_OF_GRANT[type] === undefined ? [] : [RESPONSE_TYPE_OF_GRANT[type]]));
  if (value === undefined) return implied;
  const responseTypes = [...new Set(stringArray(value, 'response_types'))];
  if (!responseTypes.every((type) => SUPPORTED_RESPONSE_TYPES.has(type))) {
    throw new InvalidClientMetadataError(`response_types may only list ${[...SUPPORTED_RESPONSE_TYPES].join(', ')}.`);
  }
  if (responseTypes.length !== implied.length || !implied.every((type) => responseTypes.includes(type))) {
    throw new InvalidClientMetadataError('response_types and grant_types disagree: code goes with authorization_code (RFC 7591 section 2.1).');
  }
  return responseTypes;
}

/** The requested scope, narrowed to the allowed scopes; the default scopes when none is asked for. */
function checkScope(value: unknown, rules: MetadataRules): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || !value.split(' ').every(isScopeToken))) {
    throw new InvalidClientMetadataError('scope must be scope tokens separated by single spaces.');
  }
  const asked = value === undefined || value === '' ? rules.defaultScopes : value.split(' ');
  const granted = [...new Set(asked)].filter((scope) => rules.scopes.includes(scope));
  return granted.length === 0 ? undefined : granted.join(' ');
}

/** `jwks` xor `jwks_uri` (RFC 7591 §2): the keys of key-based authentication methods. */
function checkKeys(jwks: unknown, jwksUri: unknown, needed: boolean): Pick<RegisteredClientMetadata, 'jwks' | 'jwks_uri'> {
  const refuse = (description: string): never => {
    throw new InvalidClientMetadataError(description);
  };
  const source = checkKeySource(
    { jwks, jwks_uri: jwksUri },
    {
      both: () => refuse('jwks and jwks_uri must not both be present.'),
      // RFC 7523 §2.2: the client proves itself with a key the server can find.
      ...(needed && { neither: () => refuse('private_key_jwt needs jwks or jwks_uri.') }),
      jwks: (problem) => refuse(`jwks ${problem}.`),
      jwksUri: () => refuse('jwks_uri must be an absolute https URL without fragment.'),
    },
    // The rule a registered client is loaded with again at every lookup (lib/clients/client.ts),
    // without its development exception: a client registering itself gets https only.
    { httpsOnly: true },
  );
  return { ...(source.jwks !== undefined && { jwks: source.jwks }), ...(source.jwksUri !== undefined && { jwks_uri: source.jwksUri }) };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, name: string): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new InvalidClientMetadataError(`${name} must be one of ${allowed.join(', ')}.`);
  return value as T;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_STRING_LENGTH) throw new InvalidClientMetadataError(`${name} must be a string of at most ${MAX_STRING_LENGTH} characters.`);
  return value;
}

/** A URL a person may be shown or the server may fetch: https (http on loopback for development). */
function optionalUrl(value: unknown, name: string): string | undefined {
  const text = optionalString(value, name);
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || !isHttpsOrLoopback(url)) {
    throw new InvalidClientMetadataError(`${name} must be an https URL.`);
  }
  return text;
}

function stringArray(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0 && item.length <= MAX_STRING_LENGTH)) {
    throw new InvalidClientMetadataError(`${name} must be an array of strings.`);
  }
  return value as string[];
}
