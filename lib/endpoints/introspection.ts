import type { RefreshTokenRecord, Store } from '../stores/store';
import type { Clock } from '../clock';
import type { Client } from '../clients/client';
import { InvalidRequestError, UnauthorizedClientError } from '../errors';
import { formatScope } from '../scope';
import { hashTokenValue } from '../tokens/token-value';
import type { FormParams } from './form-params';

/** The RFC 7662 §2.2 introspection response. */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      /** Access tokens only: a refresh token has no token type (RFC 6749 §7.1). */
      token_type?: 'Bearer';
      exp: number;
      iat: number;
      sub?: string;
      aud?: string | string[];
      iss: string;
    };

export interface IntrospectionSettings {
  store: Store;
  clock: Clock;
  issuer: string;
  audience?: string | string[];
  /** Whether a confidential client may introspect the tokens issued to it (default true). */
  ownTokens: boolean;
}

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/**
 * RFC 7662 §2: tells an authenticated client whether a token is active. Clients with
 * `introspect_any` (resource servers) may ask about every token; others, when allowed, only
 * about their own. Anything not active, or not theirs, is only `{"active": false}` (§2.2).
 * A refresh token is active until it expires, is rotated or its grant is revoked.
 */
export function introspectToken(settings: IntrospectionSettings) {
  const { store, clock, issuer, audience, ownTokens } = settings;
  return async (client: Client, params: FormParams): Promise<IntrospectionResponse> => {
    // RFC 7662 §2.1: the endpoint requires authorization; public clients cannot give it.
    if (client.authMethod === 'none' || !(client.introspectAny || ownTokens)) {
      throw new ForbiddenClientError('This client may not use the introspection endpoint.');
    }
    if (params.token === undefined) throw new InvalidRequestError('The token parameter is missing.');

    const tokenHash = hashTokenValue(params.token);
    const accessToken = await store.findAccessToken(tokenHash);
    const record = accessToken ?? (await activeRefreshToken(store, tokenHash, clock()));
    if (record === undefined || record.expiresAt <= clock()) return INACTIVE;
    if (!client.introspectAny && record.clientId !== client.id) return INACTIVE;
    return {
      active: true,
      scope: formatScope(record.scope),
      client_id: record.clientId,
      ...(accessToken !== undefined && { token_type: 'Bearer' as const }),
      exp: record.expiresAt,
      iat: record.issuedAt,
      ...(record.sub !== undefined && { sub: record.sub }),
      ...(audience !== undefined && { aud: audience }),
      iss: issuer,
    };
  };
}

async function activeRefreshToken(store: Store, tokenHash: string, now: number): Promise<RefreshTokenRecord | undefined> {
  const found = await store.findRefreshToken(tokenHash);
  if (found === undefined || found.rotated || found.record.grantExpiresAt <= now) return undefined;
  return found.record;
}

/** An authenticated client that is not allowed here: 403 (RFC 7662 §2.3 leaves the code open). */
class ForbiddenClientError extends UnauthorizedClientError {
  override readonly status = 403;
}
