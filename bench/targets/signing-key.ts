import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

export interface SigningKeyPair {
  /** The private JWK, with `alg` and `kid` (its RFC 7638 thumbprint). */
  privateJwk: JWK;
  /** What a JWKS publishes: the public members, `alg`, `kid`, `use: sig`. */
  publicJwk: JWK;
}

/** A fresh key pair of the algorithm, made by each server process for itself. */
export async function signingKeyPair(alg: string): Promise<SigningKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    privateJwk: { ...(await exportJWK(privateKey)), alg, kid },
    publicJwk: { ...publicJwk, alg, kid, use: 'sig' },
  };
}
