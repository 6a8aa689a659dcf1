import { timingSafeEqual } from 'node:crypto';
import { InvalidRequestError } from '../errors';
import { resolveScope } from '../scope';
import type { AuthorizationTransactionRecord, Store } from '../stores/store';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../tokens/token-value';
import type { AuthorizationRequest } from './request';

/** What the consent form must post back, besides the decision. */
export interface PendingConsent {
  /** Names the pending request; 256 bits, so it cannot be guessed. */
  transactionId: string;
  /** Binds the decision to the form shown to this user (CSRF); kept only as a hash. */
  csrfToken: string;
}

/** Keeps a checked request server-side, bound to the user who is asked, until they decide. */
export async function startConsent(store: Store, request: AuthorizationRequest, sub: string, expiresAt: number): Promise<PendingConsent> {
  const transactionId = generateTokenValue();
  const csrfToken = generateTokenValue();
  await store.saveAuthorizationTransaction(hashTokenValue(transactionId), {
    clientId: request.client.id,
    sub,
    scope: request.scope,
    redirectUri: request.redirectUri,
    redirectUriInRequest: request.redirectUriInRequest,
    ...(request.state !== undefined && { state: request.state }),
    ...(request.codeChallenge !== undefined && { codeChallenge: request.codeChallenge, codeChallengeMethod: request.codeChallengeMethod }),
    csrfTokenHash: hashTokenValue(csrfToken),
    expiresAt,
  });
  return { transactionId, csrfToken };
}

/**
 * Takes the pending request a consent form answers: once only, and only for the user it was
 * made for with the form's CSRF token. Any mismatch is shown to the user, never redirected.
 */
export async function takeConsent(store: Store, answer: PendingConsent & { sub: string }, now: number): Promise<AuthorizationTransactionRecord> {
  const record = await store.takeAuthorizationTransaction(hashTokenValue(answer.transactionId));
  if (
    record === undefined ||
    record.expiresAt <= now ||
    record.sub !== answer.sub ||
    !sameHash(hashTokenValue(answer.csrfToken), record.csrfTokenHash)
  ) {
    throw new InvalidRequestError('This authorization request is unknown, expired, already decided or not yours. Please start again from the application.');
  }
  return record;
}

/**
 * RFC 6749 §4.1.2: a new authorization code for what the user allowed (the scope asked for,
 * or less), bound to the client, redirect URI, user, scope and PKCE challenge.
 */
export async function issueCode(
  store: Store,
  pending: AuthorizationTransactionRecord,
  grantedScope: string | undefined,
  now: number,
  lifetime: number,
): Promise<string> {
  // RFC 6749 §3.3: the user may grant less than was asked, never more.
  const scope = resolveScope(grantedScope, pending.scope);
  const code = generateTokenValue();
  await store.saveAuthorizationCode(hashTokenValue(code), {
    grantId: generateGrantId(),
    clientId: pending.clientId,
    sub: pending.sub,
    scope,
    redirectUri: pending.redirectUri,
    redirectUriInRequest: pending.redirectUriInRequest,
    ...(pending.codeChallenge !== undefined && { codeChallenge: pending.codeChallenge, codeChallengeMethod: pending.codeChallengeMethod }),
    issuedAt: now,
    expiresAt: now + lifetime,
  });
  return code;
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
