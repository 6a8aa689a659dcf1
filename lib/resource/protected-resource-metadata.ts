/** The RFC 9728 §2 protected resource metadata, as far as this package fills it in. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name?: string;
  [extension: string]: unknown;
}

export interface ProtectedResourceMetadataSettings {
  resource: string;
  authorizationServers: readonly string[];
  scopes?: readonly string[];
  /** RFC 6750 methods the resource accepts (`header` always). */
  bearerMethods: { body: boolean; query: boolean };
  name?: string;
}

export function buildProtectedResourceMetadata(settings: ProtectedResourceMetadataSettings): ProtectedResourceMetadata {
  return {
    resource: settings.resource,
    authorization_servers: [...settings.authorizationServers],
    ...(settings.scopes !== undefined && { scopes_supported: [...settings.scopes] }),
    bearer_methods_supported: ['header', ...(settings.bearerMethods.body ? ['body'] : []), ...(settings.bearerMethods.query ? ['query'] : [])],
    ...(settings.name !== undefined && { resource_name: settings.name }),
  };
}

/**
 * RFC 9728 §3.1: the metadata URL inserts `/.well-known/oauth-protected-resource` between the
 * resource's host and its path: `https://a.example/api` →
 * `https://a.example/.well-known/oauth-protected-resource/api`.
 */
export function protectedResourceMetadataUrl(resource: string): URL {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return new URL(`/.well-known/oauth-protected-resource${path}`, url.origin);
}
