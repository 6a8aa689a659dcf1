import { sameDigest } from '../constant-time';
import { InvalidRequestError } from '../errors';
import { includesAll, resolveScope } from '../scope';
import { quotaKey, type AuthorizationTransactionRecord, type DeviceTransactionRecord, type Store, type TransactionRecord } from '../stores/store';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../tokens/token-value';
import type { AuthorizationRequest } from './request';

/** What a code is bound to (RFC 6749 §4.1.2, RFC 7636 §4.4): the request's client, redirect URI, user, scope and challenge. */
export type CodeBinding = Omit<AuthorizationTransactionRecord, 'csrfTokenHash' | 'expiresAt'>;
/** What a device decision is bound to (RFC 8628 §3.3): the request, its client, scope and the user asked. */
export type DeviceBinding = Omit<DeviceTransactionRecord, 'csrfTokenHash' | 'expiresAt'>;

/** What the consent form must post back, besides the decision. */
export interface PendingConsent {
  /** Names the pending request; 256 bits, so it cannot be guessed. */
  transactionId: string;
  /** Binds the decision to the form shown to this user (CSRF); kept only as a hash. */
  csrfToken: string;
}

export function codeBinding(request: AuthorizationRequest, sub: string): CodeBinding {
  return {
    clientId: request.client.id,
    sub,
    scope: request.scope,
    ...(request.resources !== undefined && { resources: request.resources }),
    ...(request.dpopJkt !== undefined && { dpopJkt: request.dpopJkt }),
    redirectUri: request.redirectUri,
    redirectUriInRequest: request.redirectUriInRequest,
    ...(request.state !== undefined && { state: request.state }),
    ...(request.codeChallenge !== undefined && { codeChallenge: request.codeChallenge, codeChallengeMethod: request.codeChallengeMethod }),
  };
}

/**
 * Keeps a checked request server-side, bound to the user who is asked, until they decide; a
 * user has at most `maxPending` waiting (both kinds together).
 */
export async function startConsent(store: Store, binding: CodeBinding | DeviceBinding, expiresAt: number, maxPending: number): Promise<PendingConsent> {
  const transactionId = generateTokenValue();
  const csrfToken = generateTokenValue();
  const perUser = { key: quotaKey('consent:sub', binding.sub), max: maxPending };
  await store.saveAuthorizationTransaction(hashTokenValue(transactionId), { ...binding, csrfTokenHash: hashTokenValue(csrfToken), expiresAt }, [perUser]);
  return { transactionId, csrfToken };
}

const isDevice = (record: TransactionRecord): record is DeviceTransactionRecord => 'deviceCodeHash' in record;

/**
 * Takes the pending request a consent form answers: once only, only of the kind that form
 * decides (authorization or device), and only for the user it was made for with the form's
 * CSRF token. Any mismatch is shown to the user, never redirected.
 */
export async function takeConsent(store: Store, answer: PendingConsent & { sub: string }, now: number): Promise<CodeBinding> {
  const record = await takeTransaction(store, answer, now);
  if (isDevice(record)) throw unknownTransaction();
  const { csrfTokenHash: _csrf, expiresAt: _expiry, ...binding } = record;
  return binding;
}

/** As `takeConsent`, for a device authorization request. */
export async function takeDeviceConsent(store: Store, answer: PendingConsent & { sub: string }, now: number): Promise<DeviceBinding> {
  const record = await takeTransaction(store, answer, now);
  if (!isDevice(record)) throw unknownTransaction();
  const { csrfTokenHash: _csrf, expiresAt: _expiry, ...binding } = record;
  return binding;
}

async function takeTransaction(store: Store, answer: PendingConsent & { sub: string }, now: number): Promise<TransactionRecord> {
  const record = await store.takeAuthorizationTransaction(hashTokenValue(answer.transactionId));
  if (
    record === undefined ||
    record.expiresAt <= now ||
    record.sub !== answer.sub ||
    !sameDigest(hashTokenValue(answer.csrfToken), record.csrfTokenHash)
  ) {
    throw unknownTransaction();
  }
  return record;
}

function unknownTransaction(): InvalidRequestError {
  return new InvalidRequestError('This authorization request is unknown, expired, already decided or not yours. Please start again from the application.');
}

/** Whether the user already allowed this client at least the scope now asked for, and it is still remembered. */
export async function isRemembered(store: Store, binding: CodeBinding, now: number): Promise<boolean> {
  const consent = await store.findConsent(binding.sub, binding.clientId);
  return consent !== undefined && consent.expiresAt > now && includesAll(consent.scope, binding.scope);
}

/**
 * RFC 6749 §4.1.2: a new authorization code for what the user allowed (the scope asked for,
 * or less), bound as `binding` says. Returns the code and the scope it grants.
 */
export async function issueCode(
  store: Store,
  binding: CodeBinding,
  grantedScope: string | undefined,
  now: number,
  lifetime: number,
): Promise<{ code: string; scope: string[] }> {
  // RFC 6749 §3.3: the user may grant less than was asked, never more.
  const scope = resolveScope(grantedScope, binding.scope);
  // The code carries its grant's id, so that the store keeps it beside the grant's tokens.
  const grantId = generateGrantId();
  const code = generateTokenValue('', grantId);
  const { state: _state, ...bound } = binding;
  await store.saveAuthorizationCode(hashTokenValue(code), { ...bound, scope, grantId, issuedAt: now, expiresAt: now + lifetime });
  return { code, scope };
}

