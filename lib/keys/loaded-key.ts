import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose';
import { publicJwkOf } from './public-jwk';

/** A signing key imported once, with what publishing and verifying it need. */
export interface LoadedKey {
  kid: string;
  alg: string;
  /** The private key, imported (not extractable). */
  privateKey: CryptoKey;
  /** The public key, imported, for verification. */
  publicKey: CryptoKey;
  /** Its public JWK as published: no private member. */
  publicJwk: JWK;
}

/** Imports a private JWK and its public part with jose. `kid`: the JWK's, else its RFC 7638 thumbprint (RFC 7638 §3). */
export async function loadKey(privateJwk: JWK, alg: string): Promise<LoadedKey> {
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk, 'sha256'));
  const publicJwk = publicJwkOf(privateJwk, kid, alg);
  const { kid: _kid, use: _use, key_ops: _ops, ext: _ext, ...material } = privateJwk;
  const [privateKey, publicKey] = await Promise.all([importJWK(material, alg, { extractable: false }), importJWK(publicJwk, alg)]);
  return { kid, alg, privateKey: privateKey as CryptoKey, publicKey: publicKey as CryptoKey, publicJwk };
}
