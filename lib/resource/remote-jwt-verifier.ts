import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock';
import type { TokenInfo } from './token-guard';
import { tokenCache } from './token-cache';
import { tokenDigest } from '../tokens/token-value';
import { tokenInfoFromClaims } from './token-claims';

/** Longer than any access token an issuer sends; a longer one is refused before it is parsed. */
export const MAX_JWT_LENGTH = 8192;

export interface RemoteJwtSettings {
  issuer: string;
  /** The resource: tokens must name it in `aud` (RFC 9068 §4). */
  resource: string;
  algorithms: readonly string[];
  clockToleranceSeconds: number;
  clock: Clock;
  /** The issuer's keys, or `undefined` when it publishes none (its JWTs cannot be accepted then). */
  keys: () => Promise<JWTVerifyGetKey | undefined>;
  /** Verified tokens kept, until they expire. */
  maxCachedTokens: number;
}

/**
 * RFC 9068 §4: checks a JWT access token against the issuer's keys. `undefined` for a token that
 * is not good (forged, expired, for another audience or issuer, of another type); rejects with a
 * `TemporarilyUnavailableError` when the issuer's keys cannot be had.
 */
export function remoteJwtVerifier(settings: RemoteJwtSettings): { verify(token: string): Promise<TokenInfo | undefined>; clear(): void } {
  const { issuer, resource, algorithms, clockToleranceSeconds, clock, keys } = settings;
  const cache = tokenCache<TokenInfo>(settings.maxCachedTokens, clock);

  const verify = async (token: string): Promise<TokenInfo | undefined> => {
    if (token.length > MAX_JWT_LENGTH) return undefined;
    const digest = tokenDigest(token);
    const cached = cache.get(digest);
    if (cached !== undefined) return cached;
    const keySet = await keys();
    if (keySet === undefined) return undefined;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer, // RFC 9068 §4: iss must be the issuer's identifier exactly
        audience: resource, // RFC 9068 §4: aud must contain this resource
        algorithms: [...algorithms], // RFC 9068 §4: never `none`; the allow-list keeps out HS* with a public key
        typ: 'at+jwt', // RFC 9068 §4: "application/at+jwt" matches too (jose compares without the prefix)
        requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'], // RFC 9068 §2.2
        clockTolerance: clockToleranceSeconds,
        currentDate: new Date(clock() * 1000),
      }));
    } catch (error) {
      // jose's errors are the token's; the key set's trouble comes as TemporarilyUnavailableError.
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
    const info = tokenInfoOf(payload, resource);
    // Kept until it expires: a JWT cannot be revoked at the issuer without introspection.
    if (info !== undefined) cache.set(digest, info, info.expiresAt);
    return info;
  };
  return { verify, clear: () => cache.clear() };
}

/** RFC 9068 §2.2: sub is required of a JWT access token (jwtVerify checks it is there). */
function tokenInfoOf(payload: JWTPayload, resource: string): TokenInfo | undefined {
  if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return undefined;
  return tokenInfoFromClaims({ client_id: payload.client_id, scope: payload.scope, sub: payload.sub, expiresAt: payload.exp, audience: resource, cnf: payload.cnf });
}
