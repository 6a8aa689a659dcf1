import type { Resource, Resources } from '../resource/resources';
import { isScopeToken } from '../scope';
import { checkHttpsIdentifier, checkOneOf, checkOptionsObject, checkPositiveInteger, type KnownKeys, type OptionPath } from './checks';

/** A resource server this server issues tokens for (RFC 8707). */
export interface ResourceOptions {
  /** The resource indicator (RFC 8707 §2): an absolute https URL (http on loopback), no query or fragment. */
  uri: string;
  /** The scopes it understands: a token for it carries only these. */
  scopes: readonly string[];
  /** `jwt` (RFC 9068, default): checked by the resource server alone; `opaque`: checked through the store or introspection. */
  accessTokenFormat?: 'jwt' | 'opaque';
  /** Seconds (default: the client's, else the server's `accessTokenLifetime`). */
  accessTokenLifetime?: number;
  /** For people: RFC 9728 `resource_name`. */
  name?: string;
}

const RESOURCE_KEYS: KnownKeys<ResourceOptions> = { uri: true, scopes: true, accessTokenFormat: true, accessTokenLifetime: true, name: true };

export function checkResources(at: OptionPath, value: unknown): Resources {
  const resources = new Map<string, Resource>();
  if (value === undefined) return resources;
  if (!Array.isArray(value)) throw at.error('must be an array of { uri, scopes }');
  value.forEach((item: unknown, index) => {
    const resource = checkResource(at.at(String(index)), item);
    if (resources.has(resource.uri)) throw at.at(String(index)).at('uri').error(`lists ${JSON.stringify(resource.uri)} twice`);
    resources.set(resource.uri, resource);
  });
  return resources;
}

function checkResource(at: OptionPath, value: unknown): Resource {
  const options = checkOptionsObject(at, value, RESOURCE_KEYS, '{ uri, scopes, accessTokenFormat?, accessTokenLifetime?, name? }');
  const scopes = options.scopes;
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((scope) => typeof scope === 'string' && isScopeToken(scope))) {
    throw at.at('scopes').error('must be a non-empty array of scope tokens (RFC 6749 §3.3)');
  }
  const name = options.name;
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) throw at.at('name').error('must be a non-empty string');
  const lifetime = options.accessTokenLifetime;
  return {
    // RFC 8707 §2: an absolute URI without a fragment; no query either (it SHOULD NOT have one).
    uri: checkHttpsIdentifier(at.at('uri'), options.uri, 'the resource\'s identifier, e.g. "https://api.example.com/api"'),
    scopes: [...new Set(scopes as string[])],
    accessTokenFormat: checkOneOf(at.at('accessTokenFormat'), options.accessTokenFormat, ['jwt', 'opaque'], 'jwt'),
    ...(lifetime !== undefined && { accessTokenLifetime: checkPositiveInteger(at.at('accessTokenLifetime'), lifetime, 0) }),
    ...(name !== undefined && { name }),
  };
}

