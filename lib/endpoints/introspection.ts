import type { AccessTokenRecord, RefreshTokenRecord, Store } from '../stores/store';
import type { Clock } from '../clock';
import type { Client } from '../clients/client';
import { ForbiddenClientError, InvalidRequestError } from '../errors';
import { formatScope } from '../scope';
import type { TokenStoreKey } from '../tokens/token-lookup';
import type { FormParams } from '../http/form-params';

/**
 * `Bearer` for an access token (RFC 6749 §7.1); `refresh_token`, the RFC 7009 §2.1 hint value,
 * for a refresh token, as oidc-provider answers, so that it is never taken for an access token.
 */
export type IntrospectedTokenType = 'Bearer' | 'refresh_token';

/** The RFC 7662 §2.2 introspection response. */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      token_type: IntrospectedTokenType;
      exp: number;
      iat: number;
      sub?: string;
      aud?: string | string[];
      iss: string;
    };

export interface IntrospectionSettings {
  store: Store;
  /** Where a token's record is: its hash, or its jti's for a JWT. */
  storeKey: TokenStoreKey;
  clock: Clock;
  issuer: string;
  /** The audience of tokens issued without a resource. */
  audience?: string | string[];
  /** Whether a confidential client may introspect the tokens issued to it (default true). */
  ownTokens: boolean;
}

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/**
 * RFC 7662 §2: tells an authenticated client whether a token is active. A client, when
 * allowed, may ask about its own tokens; one with `introspect_any` (a resource server) also
 * about every access token. Anything else, or not active, is only `{"active": false}` (§2.2).
 * A refresh token is active until it expires, is rotated or its grant is revoked.
 */
export function introspectToken(settings: IntrospectionSettings) {
  const { store, storeKey, clock, issuer, audience, ownTokens } = settings;
  return async (client: Client, params: FormParams): Promise<IntrospectionResponse> => {
    // RFC 7662 §2.1: the endpoint requires authorization; public clients cannot give it.
    if (client.authMethod === 'none' || !(client.introspectAny || ownTokens)) {
      throw new ForbiddenClientError('This client may not use the introspection endpoint.');
    }
    if (params.token === undefined) throw new InvalidRequestError('The token parameter is missing.');

    const now = clock();
    const tokenHash = await storeKey(params.token);
    const found = tokenHash === undefined ? undefined : await findActiveToken(store, tokenHash, now);
    if (found === undefined) return INACTIVE;
    const { record, tokenType } = found;
    const isOwner = record.clientId === client.id;
    // RFC 7662 §2.2 lets the server answer inactive. A resource server (`introspect_any`) has no
    // business with refresh tokens, and one taken for active might be taken for an access token.
    if (!isOwner && !(client.introspectAny && tokenType === 'Bearer')) return INACTIVE;
    return {
      active: true,
      scope: formatScope(record.scope),
      client_id: record.clientId,
      token_type: tokenType,
      exp: record.expiresAt,
      iat: record.issuedAt,
      ...(record.sub !== undefined && { sub: record.sub }),
      ...audienceOf(record, audience),
      iss: issuer,
    };
  };
}

/** RFC 7662 §2.2 `aud`: the resource a token was issued for, else the server's configured audience. */
function audienceOf(record: AccessTokenRecord | RefreshTokenRecord, fallback: string | string[] | undefined): { aud?: string | string[] } {
  const aud = ('audience' in record ? record.audience : undefined) ?? fallback;
  return aud === undefined ? {} : { aud };
}

/** The access or refresh token a hash names, while it is active (RFC 7662 §2.2). */
async function findActiveToken(
  store: Store,
  tokenHash: string,
  now: number,
): Promise<{ record: AccessTokenRecord | RefreshTokenRecord; tokenType: IntrospectedTokenType } | undefined> {
  const accessToken = await store.findAccessToken(tokenHash);
  if (accessToken !== undefined) return accessToken.expiresAt > now ? { record: accessToken, tokenType: 'Bearer' } : undefined;
  const refresh = await store.findRefreshToken(tokenHash);
  // A refresh token also ends when it is rotated, and with its grant's absolute lifetime.
  if (refresh === undefined || refresh.rotated || refresh.record.expiresAt <= now || refresh.record.grantExpiresAt <= now) return undefined;
  return { record: refresh.record, tokenType: 'refresh_token' };
}
