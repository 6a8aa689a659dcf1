import type { Client } from '../clients/client';
import type { Store } from '../stores/store';
import type { TokenIssuer } from '../tokens/issuer';
import type { AttemptLimits } from '../limits/password-limits';
import type { ResourceRequest } from '../resource/resources';

/** The successful token response of RFC 6749 §5.1. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  [extension: string]: unknown;
}

/** What a grant handler is given: plain values, nothing of Express. */
export interface TokenRequestContext {
  /** The authenticated (or, for public clients, identified) client. */
  readonly client: Client;
  /** The grant's declared parameters that the request carried, each exactly once. */
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly store: Store;
  /** Seconds since the epoch, from the server's clock. */
  readonly now: number;
  /** Issues and stores an access token, and builds the token response. */
  readonly tokens: TokenIssuer;
  /** The server's attempt limits (the per-username limit of password checks). */
  readonly limits: AttemptLimits;
  /**
   * The `resource` the request named (RFC 8707 §2.2): `resource.choose()` is the audience of
   * the token to issue (pass it to `tokens.issue`), or `undefined` for a token without one.
   */
  readonly resource: ResourceRequest;
}

/**
 * A grant type the token endpoint handles. The built-in grants are values of this type, so a
 * host app adds its own (an extension grant with an absolute URI type, RFC 6749 §4.5) the
 * same way:
 *
 * ```ts
 * const jwtBearer: Grant = {
 *   type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
 *   parameters: ['assertion', 'scope'],
 *   async handle({ client, params, tokens }) { ... return tokens.issue({ client, scope }); },
 * };
 * ```
 */
export interface Grant {
  /** The `grant_type` value: a registered name, or an absolute URI for an extension grant. */
  readonly type: string;
  /** The request parameters the handler reads (besides grant_type and client credentials). */
  readonly parameters: readonly string[];
  /** True when public clients (auth method `none`) may not use it. */
  readonly confidentialClientsOnly?: boolean;
  /** Returns the token response or throws an `OAuthError`. */
  handle(context: TokenRequestContext): Promise<TokenResponse>;
}

/** RFC 6749 §4.5 and Appendix A.10: a grant type is a name or an absolute URI. */
export function isValidGrantType(type: unknown): type is string {
  if (typeof type !== 'string' || type.length === 0) return false;
  if (/^[A-Za-z0-9._-]+$/.test(type)) return true;
  try {
    new URL(type);
    return true;
  } catch {
    return false;
  }
}
