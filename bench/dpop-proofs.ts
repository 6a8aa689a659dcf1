import { createHash, randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { oneEachRequests, signInBatches } from './presigned';

/** The DPoP proof algorithm of the DPoP scenarios, at every server (issue 16: "same algorithm"). */
export const DPOP_ALGORITHM = 'ES256';

/** The bench client's DPoP key (RFC 9449 §4.2), and the proofs it signs ahead of a run. */
export interface DpopClient {
  /** RFC 7638 thumbprint of the public key: the `cnf.jkt` of every token bound to it. */
  jkt: string;
  /** One proof for `method` and `htu`, with `ath` when it goes with an access token. */
  proof(method: string, htu: string, accessToken?: string): Promise<string>;
  /** `count` proofs, each with its own `jti` and the current `iat`. */
  proofs(count: number, method: string, htu: string, accessToken?: string): Promise<string[]>;
}

export async function dpopClient(): Promise<DpopClient> {
  const { publicKey, privateKey } = await generateKeyPair(DPOP_ALGORITHM, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const jkt = await calculateJwkThumbprint(publicJwk);
  const proof = (method: string, htu: string, accessToken?: string) => signProof(privateKey, publicJwk, method, htu, accessToken);
  return {
    jkt,
    proof,
    proofs: (count, method, htu, accessToken) => signInBatches(count, () => proof(method, htu, accessToken)),
  };
}

/** RFC 9449 §4.2: `typ: dpop+jwt`, the public `jwk`, a fresh `jti`, `htm`, `htu`, `iat`, and `ath` (§4.3 point 11) with a token. */
function signProof(key: CryptoKey, jwk: JWK, method: string, htu: string, accessToken?: string): Promise<string> {
  const ath = accessToken === undefined ? undefined : createHash('sha256').update(accessToken).digest('base64url');
  return new SignJWT({ htm: method, htu, ...(ath !== undefined && { ath }) })
    .setProtectedHeader({ alg: DPOP_ALGORITHM, typ: 'dpop+jwt', jwk })
    .setJti(randomBytes(16).toString('base64url'))
    .setIssuedAt()
    .sign(key);
}

/** Every request of the run takes the next pre-signed proof as its `DPoP` header; the run is bounded by their number. */
export function dpopRequests(proofs: string[]): autocannon.Request[] {
  return oneEachRequests(proofs, (request, proof) => ({ ...request, headers: { ...request.headers, dpop: proof ?? 'no-proof-left' } }));
}
