import type { Client } from '../clients/client';
import { InvalidGrantError } from '../errors';
import type { TokenResponse } from '../grants/grant';
import type { AccessTokenRecord, GrantTokens, Store } from '../stores/store';
import type { Clock } from '../clock';
import { formatScope } from '../scope';
import { generateTokenValue, hashTokenValue } from './token-value';

/** What the host app learns when a token is issued: never the token itself. */
export interface TokenIssuedEvent {
  clientId: string;
  grantType: string;
  scope: string;
  sub?: string;
  expiresAt: number;
}

export interface IssueRequest {
  client: Client;
  scope: readonly string[];
  sub?: string;
  /**
   * For tokens a user granted: the grant they belong to, so that they can be revoked together.
   * A refresh token comes with them when the server has the refresh_token grant and the client
   * is registered for it (RFC 6749 §1.5).
   */
  grant?: GrantIssue;
}

export interface GrantIssue {
  id: string;
  /** The scope the user granted, which the refresh token keeps (RFC 6749 §6). */
  scope: readonly string[];
  /** When refreshing: the refresh token being replaced, and the grant's absolute refresh expiry. */
  rotates?: { tokenHash: string; grantExpiresAt: number };
}

export interface TokenIssuer {
  issue(request: IssueRequest): Promise<TokenResponse>;
}

export interface TokenIssuerSettings {
  store: Store;
  clock: Clock;
  accessTokenLifetime: number;
  tokenPrefix: string;
  /** Refresh token lifetimes in seconds; absent when the refresh_token grant is not enabled. */
  refreshTokens?: { idleLifetime: number; absoluteLifetime: number };
}

/** One issuer per grant type, made at start-up, so the event names the grant at no per-request cost. */
export function tokenIssuer(settings: TokenIssuerSettings, grantType: string, onIssued: (event: TokenIssuedEvent) => void): TokenIssuer {
  return {
    async issue({ client, scope, sub, grant }) {
      const accessToken = generateTokenValue(settings.tokenPrefix, grant?.id);
      const issuedAt = settings.clock();
      const lifetime = client.accessTokenLifetime ?? settings.accessTokenLifetime;
      const expiresAt = issuedAt + lifetime;
      const record: AccessTokenRecord = {
        clientId: client.id,
        scope: [...scope],
        ...(sub !== undefined && { sub }),
        issuedAt,
        expiresAt,
      };
      let refreshToken: string | undefined;
      if (grant === undefined) await settings.store.saveAccessToken(hashTokenValue(accessToken), record);
      else refreshToken = await saveUnderGrant(settings, client, grant, { value: accessToken, record });
      const scopeString = formatScope(scope);
      onIssued({ clientId: client.id, grantType, scope: scopeString, ...(sub !== undefined && { sub }), expiresAt });
      // RFC 6749 §5.1
      return {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: lifetime,
        ...(scope.length > 0 && { scope: scopeString }),
        ...(refreshToken !== undefined && { refresh_token: refreshToken }),
      };
    },
  };
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
  const { issuedAt, sub } = accessToken.record;
  const tokens: GrantTokens = {
    grantId: grant.id,
    accessToken: { hash: hashTokenValue(accessToken.value), record: { ...accessToken.record, grantId: grant.id } },
  };
  let refreshToken: string | undefined;
  const refresh = settings.refreshTokens;
  // RFC 6749 §1.5, §5.1: a refresh token only for a client registered for the refresh_token grant.
  if (refresh !== undefined && client.grantTypes.includes('refresh_token')) {
    refreshToken = generateTokenValue(settings.tokenPrefix, grant.id);
    const grantExpiresAt = grant.rotates?.grantExpiresAt ?? issuedAt + refresh.absoluteLifetime;
    tokens.refreshToken = {
      hash: hashTokenValue(refreshToken),
      record: {
        grantId: grant.id,
        clientId: client.id,
        ...(sub !== undefined && { sub }),
        scope: [...grant.scope],
        issuedAt,
        expiresAt: Math.min(issuedAt + refresh.idleLifetime, grantExpiresAt),
        grantExpiresAt,
      },
    };
  }
  const saved =
    grant.rotates === undefined
      ? await settings.store.saveGrantTokens(tokens)
      : (await settings.store.rotateRefreshToken(grant.rotates.tokenHash, tokens)) === 'rotated';
  if (!saved) throw new InvalidGrantError('The grant was revoked or the refresh token was already used.');
  return refreshToken;
}
