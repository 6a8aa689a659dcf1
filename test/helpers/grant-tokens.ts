import type { GrantTokens } from '../../lib/stores/store';
import { generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';

export interface GrantTokensOptions {
  /** When they are issued, in seconds since the epoch. */
  at: number;
  /** The access token's lifetime (default 60 s). */
  lifetime?: number;
  /** The refresh token's idle lifetime (default: the access token's). */
  refreshLifetime?: number;
  /** The grant's absolute refresh lifetime (default 600 s). */
  grantLifetime?: number;
  clientId?: string;
}

/** Tokens of one grant as the issuer makes them (their values carry the grant id): an access token and a refresh token of alice. */
export function grantTokens(grantId: string, { at, lifetime = 60, refreshLifetime = lifetime, grantLifetime = 600, clientId = 'spa' }: GrantTokensOptions): GrantTokens {
  const issued = { clientId, scope: ['read'], sub: 'alice', grantId, issuedAt: at };
  return {
    grantId,
    accessToken: { hash: hashTokenValue(generateTokenValue('', grantId)), record: { ...issued, expiresAt: at + lifetime } },
    refreshToken: { hash: hashTokenValue(generateTokenValue('', grantId)), record: { ...issued, expiresAt: at + refreshLifetime, grantExpiresAt: at + grantLifetime } },
  };
}
