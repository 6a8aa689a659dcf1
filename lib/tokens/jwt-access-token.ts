import { compactVerify, decodeJwt, errors as joseErrors, SignJWT, type CryptoKey, type JWSHeaderParameters, type KeyObject } from 'jose';
import { hashTokenValue } from './token-value';

type Key = CryptoKey | KeyObject;

/** The keys that sign and verify this server's JWT access tokens (see `lib/keys`). */
export interface AccessTokenKeys {
  /** The key to sign with now; rejects when the keys cannot be read (the store is down). */
  signingKey(): Promise<{ kid: string; alg: string; key: Key }>;
  /** A published key whose `kid` and `alg` match the header, or `undefined`. */
  verificationKey(header: Pick<JWSHeaderParameters, 'kid' | 'alg'>): Promise<Key | undefined>;
}

/** The claims of RFC 9068 §2.2 that vary per token (`iss` is the server's). */
export interface AccessTokenClaims {
  audience: string;
  /** The user; for a client's own token (client credentials), the client id (RFC 9068 §2.2). */
  sub: string;
  clientId: string;
  scope: string;
  issuedAt: number;
  expiresAt: number;
  /** An opaque token value: the store keeps the token's record under its hash (`jwtStoreKey`). */
  jti: string;
}

/** RFC 9068 §2.1 */
const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Asymmetric only: never `none`, never a MAC (RFC 9068 §4, RFC 8725 §3.1). */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'];

/** A compact JWS has three base64url parts; an opaque token (`<prefix><grantId>.<random>`) at most one dot. */
export function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  return second !== -1 && token.indexOf('.', second + 1) === -1;
}

export interface JwtAccessTokens {
  /** RFC 9068 §2: a signed JWT access token. */
  sign(claims: AccessTokenClaims): Promise<string>;
  /**
   * Where the store keeps the record of a JWT this server signed (the hash of its `jti`), when
   * its signature, `typ` and `iss` are right; `undefined` for any other token. Expiry is not
   * checked here: the record's expiry decides, as for opaque tokens. Rejects only when the keys
   * cannot be read.
   */
  storeKey(token: string): Promise<string | undefined>;
}

export function jwtAccessTokens(issuer: string, keys: AccessTokenKeys): JwtAccessTokens {
  const findKey = async (header: JWSHeaderParameters): Promise<Key> => {
    const key = await keys.verificationKey(header);
    if (key === undefined) throw new joseErrors.JWKSNoMatchingKey();
    return key;
  };

  return {
    async sign(claims) {
      const { kid, alg, key } = await keys.signingKey();
      // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; scope (§2.2.3).
      return new SignJWT({ client_id: claims.clientId, scope: claims.scope })
        .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(claims.audience)
        .setSubject(claims.sub)
        .setIssuedAt(claims.issuedAt)
        .setExpirationTime(claims.expiresAt)
        .setJti(claims.jti)
        .sign(key);
    },

    async storeKey(token) {
      try {
        const { protectedHeader } = await compactVerify(token, findKey, { algorithms: ACCESS_TOKEN_ALGORITHMS });
        // RFC 9068 §4: the typ header must be at+jwt, so that no other JWT passes for an access token.
        if (protectedHeader.typ !== ACCESS_TOKEN_TYPE && protectedHeader.typ !== `application/${ACCESS_TOKEN_TYPE}`) return undefined;
        const { iss, jti } = decodeJwt(token);
        if (iss !== issuer || typeof jti !== 'string' || jti === '') return undefined;
        return hashTokenValue(jti);
      } catch (error) {
        if (error instanceof joseErrors.JOSEError) return undefined;
        throw error;
      }
    },
  };
}
