import { randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from 'jose';

/** RFC 7523 §2.2 `client_assertion_type`. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface AssertionSigner {
  /** The public key, as a client registers it in `jwks` (with `kid` and `alg`). */
  publicJwk: JWK;
  /** The private key, as JWK: for child processes and for the test of a private key in `jwks`. */
  privateJwk: JWK;
  /** PEM of the public key: what an attacker might use as an HMAC secret. */
  publicPem: string;
  /** A JWT of `claims`, signed with the private key; `header` overrides the protected header. */
  sign(claims: JWTPayload, header?: Record<string, unknown>): Promise<string>;
}

export async function assertionSigner(alg: 'ES256' | 'PS256' | 'RS256' | 'EdDSA' = 'ES256', kid = 'key-1'): Promise<AssertionSigner> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  return {
    publicJwk,
    privateJwk,
    publicPem: await exportSPKI(publicKey),
    sign: (claims, header = {}) => new SignJWT(claims).setProtectedHeader({ alg, kid, ...header }).sign(privateKey),
  };
}

/** Claims of a good client assertion (RFC 7523 §3) for `clientId` to `aud` at `now`, with `overrides` (undefined removes one). */
export function assertionClaims(clientId: string, aud: string, now: number, overrides: Record<string, unknown> = {}): JWTPayload {
  const claims: Record<string, unknown> = { iss: clientId, sub: clientId, aud, iat: now, exp: now + 60, jti: randomUUID(), ...overrides };
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
}

/** The form fields of private_key_jwt client authentication (RFC 7521 §4.2). */
export function assertionForm(assertion: string, extra: Record<string, string> = {}): Record<string, string> {
  return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, ...extra };
}

/** An unsecured JWT (`alg: none`, RFC 7519 §6) of `claims`. */
export function unsecuredJwt(claims: JWTPayload): string {
  return new UnsecuredJWT(claims).encode();
}

/** An HS256 JWT whose "secret" is the public key's PEM: the key confusion attack (RFC 8725 §2.1). */
export function hmacWithPublicKey(signer: AssertionSigner, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: signer.publicJwk.kid as string }).sign(new TextEncoder().encode(signer.publicPem));
}
