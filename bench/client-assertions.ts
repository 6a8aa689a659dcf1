import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { CLIENT_ID, SCOPE } from './common';
import { oneEachRequests, signInBatches } from './presigned';

/** The client assertion algorithm of the pkjwt-token scenario, at every server (issue 15: "same algorithm"). */
export const CLIENT_ASSERTION_ALGORITHM = 'ES256';

/** RFC 7521 §4.2: the client_assertion_type of a JWT (RFC 7523 §2.2). */
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** How long each assertion is good: far more than a phase lasts, within ours' 5-minute bound. */
const ASSERTION_LIFETIME_SECONDS = 120;

/** The bench client's key pair for `private_key_jwt`: the servers get `publicJwk` as the client's `jwks`. */
export interface AssertionClient {
  publicJwk: JWK;
  /** `count` assertions for `audience`, each with its own `jti` and the current `iat`. */
  assertions(count: number, audience: string): Promise<string[]>;
}

export async function assertionClient(): Promise<AssertionClient> {
  const { publicKey, privateKey } = await generateKeyPair(CLIENT_ASSERTION_ALGORITHM, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'bench-assertion-key', alg: CLIENT_ASSERTION_ALGORITHM, use: 'sig' };
  return { publicJwk, assertions: (count, audience) => signInBatches(count, () => signAssertion(privateKey, audience)) };
}

/** RFC 7523 §3: `iss` = `sub` = the client id, one `aud` (the issuer identifier, which ours and oidc-provider both accept), `exp`, a fresh `jti`. */
function signAssertion(key: CryptoKey, audience: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: CLIENT_ASSERTION_ALGORITHM, kid: 'bench-assertion-key' })
    .setIssuer(CLIENT_ID)
    .setSubject(CLIENT_ID)
    .setAudience(audience)
    .setJti(randomBytes(16).toString('base64url'))
    .setIssuedAt()
    .setExpirationTime(`${ASSERTION_LIFETIME_SECONDS}s`)
    .sign(key);
}

/** The client credentials request body of the pkjwt-token scenario, authenticated by `assertion` (RFC 7521 §4.2). */
export function assertionTokenBody(assertion: string): string {
  return new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion }).toString();
}

/** Every request of the run takes the next pre-signed assertion in its body; the run is bounded by their number. */
export function assertionRequests(assertions: string[]): autocannon.Request[] {
  return oneEachRequests(assertions, (request, assertion) => ({ ...request, body: assertionTokenBody(assertion ?? 'no-assertion-left') }));
}
