import { isConfidential, type Client } from '../clients/client';
import { InvalidGrantError, InvalidScopeError } from '../errors';
import { invalidCode, invalidRefreshToken } from '../grants/refusals';
import type { TokenResponse } from '../grants/grant';
import type { AccessTokenRecord, GrantTokens, Store } from '../stores/store';
import type { Clock } from '../clock';
import { formatScope } from '../scope';
import { generateTokenValue, hashTokenValue } from './token-value';
import type { Resource } from '../resource/resources';
import type { JwtAccessTokens } from './jwt-access-token';

/** What the host app learns when a token is issued: never the token itself. */
export interface TokenIssuedEvent {
  clientId: string;
  grantType: string;
  scope: string;
  sub?: string;
  /** The resource the token is for (RFC 8707). */
  audience?: string;
  expiresAt: number;
}

export interface IssueRequest {
  client: Client;
  scope: readonly string[];
  sub?: string;
  /** The resource the token is for (`context.resource.choose()`): its audience, format and lifetime. */
  resource?: Resource;
  /**
   * For tokens a user granted: the grant they belong to, so that they can be revoked together.
   * A refresh token comes with them when the server has the refresh_token grant and the client
   * is registered for it (RFC 6749 §1.5).
   */
  grant?: GrantIssue;
  /**
   * RFC 9449 §5: the thumbprint of the DPoP key the token request proved; the access token is
   * bound to it (`token_type: DPoP`), and so is a public client's refresh token. The token
   * endpoint sets it from the request's proof.
   */
  dpopJkt?: string;
}

export interface GrantIssue {
  id: string;
  /** The scope the user granted, which the refresh token keeps (RFC 6749 §6). */
  scope: readonly string[];
  /** The resources the authorization named (RFC 8707 §2.1), which the refresh token keeps. */
  resources?: readonly string[];
  /**
   * What the tokens are issued for, used up by the same store operation that saves them: an
   * authorization code (its hash), or a refresh token being replaced (its hash, and the grant's
   * absolute refresh expiry).
   */
  redeems?: { codeHash: string } | { refreshTokenHash: string; grantExpiresAt: number };
}

export interface TokenIssuer {
  issue(request: IssueRequest): Promise<TokenResponse>;
}

export interface TokenIssuerSettings {
  store: Store;
  clock: Clock;
  accessTokenLifetime: number;
  tokenPrefix: string;
  /** Signs the tokens of resources whose format is `jwt`. */
  jwt?: JwtAccessTokens;
  /**
   * Refresh token lifetimes, and the grace of a just-rotated token (`refreshTokenReuseGrace`),
   * in seconds; absent when the refresh_token grant is not enabled.
   */
  refreshTokens?: { idleLifetime: number; absoluteLifetime: number; reuseGraceSeconds: number };
}

/** One issuer per grant type, made at start-up, so the event names the grant at no per-request cost. */
export function tokenIssuer(settings: TokenIssuerSettings, grantType: string, onIssued: (event: TokenIssuedEvent) => void): TokenIssuer {
  return {
    async issue({ client, scope: granted, sub, resource, grant, dpopJkt }) {
      const scope = scopeAtResource(granted, resource);
      const issuedAt = settings.clock();
      const lifetime = tokenLifetime(settings, client, resource);
      const expiresAt = issuedAt + lifetime;
      const record: AccessTokenRecord = {
        clientId: client.id,
        scope: [...scope],
        ...(sub !== undefined && { sub }),
        issuedAt,
        expiresAt,
        ...(resource !== undefined && { audience: resource.uri }),
        ...(dpopJkt !== undefined && { jkt: dpopJkt }),
        ...(client.registered === true && { registeredClient: true }),
      };
      // The store keeps a JWT's record under its jti (RFC 9068 §2.2), for revocation and introspection.
      const storedValue = generateTokenValue(resource?.accessTokenFormat === 'jwt' ? '' : settings.tokenPrefix, grant?.id);
      const accessToken = resource?.accessTokenFormat === 'jwt' ? await signJwt(settings, record, storedValue) : storedValue;
      let refreshToken: string | undefined;
      if (grant === undefined) await settings.store.saveAccessToken(hashTokenValue(storedValue), record);
      else refreshToken = await saveUnderGrant(settings, client, grant, { value: storedValue, record });
      const scopeString = formatScope(scope);
      onIssued({ clientId: client.id, grantType, scope: scopeString, ...(sub !== undefined && { sub }), ...(resource !== undefined && { audience: resource.uri }), expiresAt });
      // RFC 6749 §5.1; RFC 9449 §5: a bound token is of type DPoP.
      return {
        access_token: accessToken,
        token_type: dpopJkt === undefined ? 'Bearer' : 'DPoP',
        expires_in: lifetime,
        ...(scope.length > 0 && { scope: scopeString }),
        ...(refreshToken !== undefined && { refresh_token: refreshToken }),
      };
    },
  };
}

/**
 * A token without resource lives the client's lifetime, else the server's. One for a resource
 * lives the resource's (else the server's), shortened to the client's when that is shorter:
 * so no JWT outlives the longest resource lifetime, after which a retired signing key leaves
 * the JWKS (lib/keys).
 */
function tokenLifetime({ accessTokenLifetime }: TokenIssuerSettings, client: Client, resource: Resource | undefined): number {
  if (resource === undefined) return client.accessTokenLifetime ?? accessTokenLifetime;
  return Math.min(resource.accessTokenLifetime ?? accessTokenLifetime, client.accessTokenLifetime ?? Infinity);
}

/**
 * A token for a resource carries only the scopes that resource understands (RFC 6749 §3.3 lets
 * the server issue less than was asked); none at all is `invalid_scope`. A token without a
 * resource carries the scope as it is. `issue` applies it; a grant that uses something up
 * first (an assertion's jti) checks it before.
 */
export function scopeAtResource(scope: readonly string[], resource: Resource | undefined): readonly string[] {
  if (resource === undefined) return scope;
  const atResource = scope.filter((token) => resource.scopes.includes(token));
  if (atResource.length === 0) throw new InvalidScopeError('None of the scope is for the requested resource.');
  return atResource;
}

/** RFC 9068: the JWT form of a token for a resource; the record's fields are its claims. */
function signJwt(settings: TokenIssuerSettings, record: AccessTokenRecord, jti: string): Promise<string> {
  if (settings.jwt === undefined) throw new TypeError('JWT access tokens need signing keys');
  return settings.jwt.sign({
    audience: record.audience as string,
    // RFC 9068 §2.2: a token of the client itself has the client id as its subject.
    sub: record.sub ?? record.clientId,
    clientId: record.clientId,
    scope: formatScope(record.scope),
    issuedAt: record.issuedAt,
    expiresAt: record.expiresAt,
    jti,
    ...(record.jkt !== undefined && { jkt: record.jkt }),
  });
}

/**
 * Saves an access token under its grant, with a new refresh token when the client may have
 * one, or in place of the refresh token being rotated. Returns the refresh token, if any.
 */
async function saveUnderGrant(
  settings: TokenIssuerSettings,
  client: Client,
  grant: GrantIssue,
  accessToken: { value: string; record: AccessTokenRecord },
): Promise<string | undefined> {
  const { issuedAt, sub, jkt } = accessToken.record;
  const tokens: GrantTokens = {
    grantId: grant.id,
    accessToken: { hash: hashTokenValue(accessToken.value), record: { ...accessToken.record, grantId: grant.id } },
  };
  let refreshToken: string | undefined;
  const refresh = settings.refreshTokens;
  // RFC 6749 §1.5, §5.1: a refresh token only for a client registered for the refresh_token grant.
  if (refresh !== undefined && client.grantTypes.includes('refresh_token')) {
    refreshToken = generateTokenValue(settings.tokenPrefix, grant.id);
    const grantExpiresAt = grant.redeems !== undefined && 'grantExpiresAt' in grant.redeems ? grant.redeems.grantExpiresAt : issuedAt + refresh.absoluteLifetime;
    tokens.refreshToken = {
      hash: hashTokenValue(refreshToken),
      record: {
        grantId: grant.id,
        clientId: client.id,
        ...(sub !== undefined && { sub }),
        scope: [...grant.scope],
        ...(grant.resources !== undefined && { resources: [...grant.resources] }),
        // RFC 9449 §5: a public client's refresh token is bound to the key; a confidential
        // client's is bound to its authentication already.
        ...(jkt !== undefined && !isConfidential(client) && { jkt }),
        issuedAt,
        expiresAt: Math.min(issuedAt + refresh.idleLifetime, grantExpiresAt),
        grantExpiresAt,
      },
    };
  }
  await saveTokens(settings, grant, tokens);
  return refreshToken;
}

/** Saves the tokens, using up what they were issued for in the same store operation. */
async function saveTokens(settings: TokenIssuerSettings, { redeems }: GrantIssue, tokens: GrantTokens): Promise<void> {
  const { store } = settings;
  if (redeems === undefined) {
    if (!(await store.saveGrantTokens(tokens))) throw new InvalidGrantError('The grant was revoked.');
  } else if ('codeHash' in redeems) {
    if ((await store.exchangeAuthorizationCode(redeems.codeHash, tokens)) !== 'exchanged') throw invalidCode();
  } else {
    // RFC 9700 §4.14.2: the store revokes the grant when a rotated token comes back after the grace.
    const rotation = await store.rotateRefreshToken(redeems.refreshTokenHash, tokens, settings.refreshTokens?.reuseGraceSeconds ?? 0);
    if (rotation !== 'rotated') throw invalidRefreshToken();
  }
}
