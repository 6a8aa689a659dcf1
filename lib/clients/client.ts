import type { JSONWebKeySet } from 'jose';
import { hashConfiguredSecret, isClientSecretHash } from './secrets';
import { isScopeToken } from '../scope';
import { checkKeySource } from '../assertions/key-source';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none' | 'private_key_jwt';
const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'];

/** Client metadata with the field names of RFC 7591 §2, plus this package's own options. */
export interface ClientMetadata {
  client_id: string;
  /** A hash from `hashClientSecret`/`generateClientSecret`, or plaintext in static config (hashed at load). */
  client_secret?: string;
  client_name?: string;
  grant_types?: string[];
  redirect_uris?: string[];
  /** Space-separated scope tokens the client may be granted. */
  scope?: string;
  token_endpoint_auth_method?: ClientAuthMethod;
  /** RFC 7591 §2: the client's public keys, for `private_key_jwt` (RFC 7523 §2.2); not with `jwks_uri`. */
  jwks?: JSONWebKeySet;
  /** RFC 7591 §2: where the client publishes its public keys (fetched through the guarded fetch); not with `jwks`. */
  jwks_uri?: string;
  /** This client's access token lifetime in seconds, overriding the server's. */
  access_token_lifetime?: number;
  /** May introspect every token (a resource server), not only its own. */
  introspect_any?: boolean;
  /** RFC 9126 §6: the client may start the authorization endpoint only with a pushed request. */
  require_pushed_authorization_requests?: boolean;
  /** RFC 9449 §5.2: every token request of the client must carry a DPoP proof. */
  dpop_bound_access_tokens?: boolean;
}

/** A client as the server uses it: checked, normalized, its secret only as a hash. */
export interface Client {
  readonly id: string;
  readonly name?: string;
  readonly secretHash?: string;
  readonly authMethod: ClientAuthMethod;
  /** `private_key_jwt`: the client's public keys, inline, or where they are published. */
  readonly jwks?: JSONWebKeySet;
  readonly jwksUri?: string;
  readonly grantTypes: readonly string[];
  readonly redirectUris: readonly string[];
  readonly scope: readonly string[];
  readonly accessTokenLifetime?: number;
  readonly introspectAny: boolean;
  /** RFC 9126 §6: `require_pushed_authorization_requests`. */
  readonly requirePushedRequests: boolean;
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`. */
  readonly dpopBoundAccessTokens: boolean;
  /** Registered through the registration endpoint (RFC 7591), kept in the store; its tokens end when it is deleted. */
  readonly registered?: true;
  /**
   * The host its Client ID Metadata Document came from (draft-ietf-oauth-client-id-metadata-document),
   * when its `client_id` is the URL of one: the one thing about it the server checked.
   */
  readonly metadataDocumentHost?: string;
}

export function isConfidential(client: Client): boolean {
  return client.authMethod !== 'none';
}

/** Thrown for client metadata that cannot be used; the message names the field and the client. */
export class ClientMetadataError extends Error {
  override name = 'ClientMetadataError';
}

/**
 * Checks RFC 7591 metadata and turns it into a `Client`. `hashPlaintextSecret` is true for
 * static config, where a plaintext secret is hashed now; a lookup function must return hashes.
 */
export function normalizeClient(metadata: ClientMetadata, options: { hashPlaintextSecret: boolean }): Client {
  if (typeof metadata !== 'object' || metadata === null) {
    throw new ClientMetadataError('client metadata must be an object');
  }
  const id = metadata.client_id;
  if (typeof id !== 'string' || id.length === 0) {
    throw new ClientMetadataError('client metadata needs a non-empty string `client_id`');
  }
  const fail = (message: string): never => {
    throw new ClientMetadataError(`client ${JSON.stringify(id)}: ${message}`);
  };

  const secret = metadata.client_secret;
  if (secret !== undefined && (typeof secret !== 'string' || secret.length === 0)) {
    fail('`client_secret` must be a non-empty string');
  }
  const authMethod = metadata.token_endpoint_auth_method ?? (secret === undefined ? 'none' : 'client_secret_basic');
  if (!AUTH_METHODS.includes(authMethod)) {
    fail(`\`token_endpoint_auth_method\` must be one of ${AUTH_METHODS.join(', ')}`);
  }
  // Only the secret methods have a secret: a key-based client proves itself with its private key.
  const usesSecret = authMethod === 'client_secret_basic' || authMethod === 'client_secret_post';
  if (!usesSecret && secret !== undefined) fail(`a client with \`token_endpoint_auth_method\` "${authMethod}" has no \`client_secret\``);
  if (usesSecret && secret === undefined) fail(`\`token_endpoint_auth_method\` "${authMethod}" needs a \`client_secret\``);
  const keys = checkClientKeys(metadata, authMethod === 'private_key_jwt', fail);

  let secretHash: string | undefined;
  if (secret !== undefined) {
    if (isClientSecretHash(secret)) secretHash = secret;
    else if (options.hashPlaintextSecret) secretHash = hashConfiguredSecret(secret);
    else fail('`client_secret` must be a hash from hashClientSecret() or generateClientSecret()');
  }

  const grantTypes = stringArray(metadata.grant_types ?? ['authorization_code'], 'grant_types', fail);
  const redirectUris = stringArray(metadata.redirect_uris ?? [], 'redirect_uris', fail);
  for (const uri of redirectUris) checkRedirectUri(uri, fail);

  if (metadata.scope !== undefined && typeof metadata.scope !== 'string') fail('`scope` must be a space-separated string');
  const scope = metadata.scope === undefined || metadata.scope === '' ? [] : metadata.scope.split(' ');
  if (!scope.every(isScopeToken)) fail('`scope` must be scope tokens separated by single spaces (RFC 6749 §3.3)');

  const lifetime = metadata.access_token_lifetime;
  if (lifetime !== undefined && !(Number.isSafeInteger(lifetime) && lifetime > 0)) {
    fail('`access_token_lifetime` must be a positive whole number of seconds');
  }
  if (metadata.introspect_any !== undefined && typeof metadata.introspect_any !== 'boolean') {
    fail('`introspect_any` must be true or false');
  }
  if (metadata.dpop_bound_access_tokens !== undefined && typeof metadata.dpop_bound_access_tokens !== 'boolean') {
    fail('`dpop_bound_access_tokens` must be true or false');
  }
  if (metadata.client_name !== undefined && typeof metadata.client_name !== 'string') fail('`client_name` must be a string');
  const requirePushed = metadata.require_pushed_authorization_requests;
  if (requirePushed !== undefined && typeof requirePushed !== 'boolean') fail('`require_pushed_authorization_requests` must be true or false');

  return Object.freeze({
    id,
    name: metadata.client_name,
    secretHash,
    authMethod,
    ...keys,
    grantTypes: Object.freeze(grantTypes),
    redirectUris: Object.freeze(redirectUris),
    scope: Object.freeze([...new Set(scope)]),
    accessTokenLifetime: lifetime,
    introspectAny: metadata.introspect_any ?? false,
    requirePushedRequests: requirePushed ?? false,
    dpopBoundAccessTokens: metadata.dpop_bound_access_tokens ?? false,
  });
}

/**
 * RFC 7591 §2: `jwks` xor `jwks_uri`, needed by `private_key_jwt` (RFC 7523 §2.2) and kept for
 * nothing else. Inline keys must be public signing keys; a `jwks_uri` an absolute https URL
 * (http only to a loopback host, which the guarded fetch still refuses unless allowed).
 */
function checkClientKeys(metadata: ClientMetadata, needed: boolean, fail: (message: string) => never): Pick<Client, 'jwks' | 'jwksUri'> {
  const { jwks, jwks_uri: jwksUri } = metadata;
  const bothGiven = jwks !== undefined && jwksUri !== undefined;
  // Another method keeps no keys; both given is refused as such (by checkKeySource) whatever the method.
  if (!needed && !bothGiven) {
    if (jwks !== undefined || jwksUri !== undefined) fail('`jwks` and `jwks_uri` are used only with `token_endpoint_auth_method` "private_key_jwt"');
    return {};
  }
  const source = checkKeySource(
    metadata,
    {
      both: () => fail('`jwks` and `jwks_uri` must not both be given (RFC 7591 §2)'),
      neither: () => fail('`token_endpoint_auth_method` "private_key_jwt" needs `jwks` or `jwks_uri`'),
      jwks: (problem) => fail(`\`jwks\` ${problem}`),
      jwksUri: () => fail('`jwks_uri` must be an absolute https URL'),
    },
    { httpsOnly: false },
  );
  return source;
}

function stringArray(value: unknown, field: string, fail: (message: string) => never): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    fail(`\`${field}\` must be an array of non-empty strings`);
  }
  return [...(value as string[])];
}

/** RFC 6749 §3.1.2: absolute URI, no fragment. */
function checkRedirectUri(uri: string, fail: (message: string) => never): void {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return fail(`redirect_uri ${JSON.stringify(uri)} is not an absolute URI (RFC 6749 §3.1.2)`);
  }
  if (parsed.hash !== '' || uri.includes('#')) fail(`redirect_uri ${JSON.stringify(uri)} must not have a fragment (RFC 6749 §3.1.2)`);
}
