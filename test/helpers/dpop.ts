import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { accessTokenHash } from '../../lib/dpop/proof';

/** A client's DPoP key pair, and the proofs it makes (RFC 9449 §4.2). */
export interface DpopKey {
  publicJwk: JWK;
  privateKey: CryptoKey;
  /** RFC 7638 thumbprint of the public key. */
  jkt: string;
  /** A proof for `method` and `url`, with `overrides` laid over the claims and header (undefined removes one). */
  proof(method: string, url: string, overrides?: ProofOverrides): Promise<string>;
}

export interface ProofOverrides {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** The access token the proof goes with (`ath`). */
  accessToken?: string;
  /** Seconds since the epoch (default: now). */
  iat?: number;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const jkt = await calculateJwkThumbprint(publicJwk, 'sha256');
  return {
    publicJwk,
    privateKey,
    jkt,
    proof(method, url, { claims = {}, header = {}, accessToken, iat = Math.floor(Date.now() / 1000) } = {}) {
      const payload = dropUndefined({
        jti: randomBytes(16).toString('base64url'),
        htm: method,
        htu: url,
        iat,
        ...(accessToken !== undefined && { ath: accessTokenHash(accessToken) }),
        ...claims,
      });
      const protectedHeader = dropUndefined({ alg, typ: 'dpop+jwt', jwk: publicJwk, ...header });
      return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(privateKey);
    },
  };
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined));
}
