import { InvalidTargetError } from '../errors';

/** A resource server the authorization server issues tokens for (RFC 8707 §2). */
export interface Resource {
  /** The resource indicator: the `resource` parameter's value, and the `aud` of its tokens. */
  readonly uri: string;
  /** The scopes this resource understands; a token for it carries no other. */
  readonly scopes: readonly string[];
  /** RFC 9068 JWT, or an opaque token checked through the store or introspection. */
  readonly accessTokenFormat: 'jwt' | 'opaque';
  /** Seconds; overrides the server's and the client's lifetime for tokens of this resource. */
  readonly accessTokenLifetime?: number;
  /** RFC 9728 §2 `resource_name`, for people. */
  readonly name?: string;
}

/** The configured resources, by indicator. */
export type Resources = ReadonlyMap<string, Resource>;

/** The `resource` a token request named (RFC 8707 §2.2), and how the one audience of the token is chosen. */
export interface ResourceRequest {
  /**
   * The resource the token is for, among those `granted` when the grant has a list (an
   * authorization request that named resources): the one the request names, or the only one
   * granted. `undefined`: a token with no audience. Throws `invalid_target`.
   */
  choose(granted?: readonly string[]): Resource | undefined;
}

/** RFC 8707 §2: every named resource must be one this server knows. */
export function knownResource(resources: Resources, uri: string): Resource {
  const resource = resources.get(uri);
  if (resource === undefined) throw new InvalidTargetError('The resource is not one this server issues tokens for.');
  return resource;
}

/** The `resource` of a token request, as it arrived (repeated: an array of values). */
export function resourceRequest(resources: Resources, value: unknown): ResourceRequest {
  // RFC 8707 §2.2: the server may refuse a request for more audiences than it puts in one token.
  if (Array.isArray(value)) throw new InvalidTargetError('Name one resource per token request: an access token has one audience.');
  const requested = value === undefined || value === '' ? undefined : knownResource(resources, value as string);
  return {
    choose(granted) {
      if (granted === undefined || granted.length === 0) return requested;
      if (requested !== undefined) {
        // RFC 8707 §2.2: within what the authorization request named.
        if (!granted.includes(requested.uri)) throw new InvalidTargetError('The resource was not part of the authorization.');
        return requested;
      }
      if (granted.length > 1) throw new InvalidTargetError('The authorization named several resources: name the one this token is for.');
      return knownResource(resources, granted[0]);
    },
  };
}

/**
 * RFC 8707 §2.2: what a grant made by one token request (password, device code) keeps for its
 * refreshes: the resource that request named, so that a refresh stays within it.
 */
export function grantResources(audience: Resource | undefined): { resources?: string[] } {
  return audience === undefined ? {} : { resources: [audience.uri] };
}
