import { calculateJwkThumbprint, CompactSign, compactVerify, importJWK, type CryptoKey, type JWK } from 'jose';
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
  await checkPair(privateKey as CryptoKey, publicKey as CryptoKey, alg);
  return { kid, alg, privateKey: privateKey as CryptoKey, publicKey: publicKey as CryptoKey, publicJwk };
}

const PROBE = new TextEncoder().encode('signing key probe');

/** Signs a probe and verifies it with the public key that will be published: a damaged key is refused before it signs a token. */
async function checkPair(privateKey: CryptoKey, publicKey: CryptoKey, alg: string): Promise<void> {
  try {
    const probe = await new CompactSign(PROBE).setProtectedHeader({ alg }).sign(privateKey);
    await compactVerify(probe, publicKey, { algorithms: [alg] });
  } catch {
    throw new Error('the private key does not match its public key: its signatures do not verify');
  }
}
