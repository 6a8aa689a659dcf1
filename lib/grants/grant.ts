import type { Client } from '../clients/client';
import type { Store } from '../stores/store';
import type { TokenIssuer } from '../tokens/issuer';
import type { AttemptLimits } from '../limits/password-limits';
import type { ResourceRequest } from '../resource/resources';
import type { RememberOnce } from '../stores/replay-records';
import type { JWTVerifyGetKey } from 'jose';
import type { KeySource } from '../assertions/key-sets';

/** What a grant that takes an assertion (RFC 7521 §4.1, RFC 7523 §2.1) checks it against. */
export interface AssertionGrantContext {
  /** This server's issuer identifier (RFC 8414 §2): the `aud` an assertion should name. */
  readonly issuer: string;
  /** The token endpoint's URL, which RFC 7523 §3 item 3 also allows as `aud`. */
  readonly tokenEndpointUrl: string;
  /** Replay records (`Store.rememberOnce`, design.md): `false` when the key was already remembered. */
  readonly rememberOnce: RememberOnce;
  /** The keys of an assertion issuer, inline or at its `jwks_uri` (the server's guarded fetch and key cache). */
  readonly keysOf: (source: KeySource) => JWTVerifyGetKey;
}

/** The successful token response of RFC 6749 §5.1. */
export interface TokenResponse {
  access_token: string;
  /** `DPoP` when the access token is bound to a DPoP key (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
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
  /**
   * The key the request proved it holds with a DPoP proof (RFC 9449 §5), when it had one: the
   * tokens issued are bound to it. A grant that redeems something bound to a key (a code with
   * `dpop_jkt`, a public client's refresh token) checks it with `requireBoundKey`.
   */
  readonly dpop?: { readonly jkt: string };
  /** What assertions are checked against: this server's names and the replay records. */
  readonly assertions: AssertionGrantContext;
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
 *   async handle({ client, params, tokens, resource }) { ... return tokens.issue({ client, scope, resource: resource.choose() }); },
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
