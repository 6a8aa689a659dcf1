import { ASSERTION_ALGORITHMS } from '../assertions/public-jwks';

/** RFC 8414 §2 authorization server metadata, as far as this server has it. */
export type ServerMetadata = Record<string, string | boolean | string[]>;

export interface MetadataSettings {
  issuer: string;
  /** Endpoint name → path below the issuer, e.g. `{ token_endpoint: '/token' }`. */
  endpoints: Record<string, string>;
  grantTypes: readonly string[];
  /** Every scope a client may be granted, when the clients are known in advance. */
  scopes?: readonly string[];
  /** Further fields contributed by enabled features (e.g. the authorization endpoint). */
  extra?: ServerMetadata;
}

const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'];
const CONFIDENTIAL_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
/** RFC 8414 §2: the algorithms of `private_key_jwt` assertions, listed wherever that method is. */
const AUTH_SIGNING_ALGORITHMS = [...ASSERTION_ALGORITHMS];

/**
 * Built once from the live configuration, so it lists only what is really enabled. The
 * endpoints are under the issuer, where the router is mounted.
 */
export function buildMetadata(settings: MetadataSettings): ServerMetadata {
  const { issuer, endpoints } = settings;
  const metadata: ServerMetadata = { issuer };
  for (const [name, path] of Object.entries(endpoints)) metadata[name] = endpointUrl(issuer, path);
  Object.assign(metadata, {
    grant_types_supported: [...settings.grantTypes],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: AUTH_SIGNING_ALGORITHMS,
    // RFC 8414 §2: REQUIRED; empty while no authorization endpoint is enabled.
    response_types_supported: [],
    ...(settings.scopes !== undefined && { scopes_supported: [...settings.scopes] }),
    ...('revocation_endpoint' in endpoints && {
      revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      revocation_endpoint_auth_signing_alg_values_supported: AUTH_SIGNING_ALGORITHMS,
    }),
    ...('introspection_endpoint' in endpoints && {
      introspection_endpoint_auth_methods_supported: CONFIDENTIAL_AUTH_METHODS,
      introspection_endpoint_auth_signing_alg_values_supported: AUTH_SIGNING_ALGORITHMS,
    }),
    ...settings.extra,
  });
  return metadata;
}

/** The URL of an endpoint of the router (`/token`), mounted at the issuer's path. */
export function endpointUrl(issuer: string, path: string): string {
  return issuer.replace(/\/$/, '') + path;
}

/**
 * RFC 8414 §3.1: the metadata URL inserts `/.well-known/oauth-authorization-server` between
 * the issuer's host and its path: issuer `https://a.example/oauth` →
 * `https://a.example/.well-known/oauth-authorization-server/oauth`.
 */
export function metadataPath(issuer: string): string {
  const { pathname } = new URL(issuer);
  return '/.well-known/oauth-authorization-server' + (pathname === '/' ? '' : pathname.replace(/\/$/, ''));
}
