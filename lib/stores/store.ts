
import { hash } from 'node:crypto';
import type { JWK } from 'jose';

/** What the server remembers about an access token; stored under the token's hash. */
export interface AccessTokenRecord {
  clientId: string;
  scope: string[];
  /** The resource owner, when a user granted the token. */
  sub?: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  /** Seconds since the epoch; the token is invalid from this second on. */
  expiresAt: number;
  /** The grant (one user's authorization of one client) the token was issued under. */
  grantId?: string;
  /** The resource the token is for (RFC 8707 §2), when it was issued for one. */
  audience?: string;
  /** RFC 9449 §6: the thumbprint of the DPoP key the token is bound to, when it is. */
  jkt?: string;
  /** The client registered itself (RFC 7591): the token is good only while the client is registered (RFC 7592 §2.3). */
  registeredClient?: true;
}

/** An authorization code (RFC 6749 §4.1.2) and what it is bound to; stored under the code's hash. */
export interface AuthorizationCodeRecord {
  /** Every token issued from this code belongs to this grant. */
  grantId: string;
  clientId: string;
  sub: string;
  scope: string[];
  redirectUri: string;
  /** RFC 6749 §4.1.3: whether the request named redirect_uri, so the token request must repeat it. */
  redirectUriInRequest: boolean;
  /** RFC 7636 §4.4: the PKCE challenge, when the request had one. */
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  /** RFC 8707 §2.1: the resources the authorization request named; tokens of the grant are for one of them. */
  resources?: string[];
  /** RFC 9449 §10: the thumbprint of the DPoP key the code's token request must prove. */
  dpopJkt?: string;
  issuedAt: number;
  expiresAt: number;
}

/** A refresh token (RFC 6749 §6); stored under its grant-bound hash. */
export interface RefreshTokenRecord {
  grantId: string;
  clientId: string;
  sub?: string;
  /** The scope originally granted; a refresh may ask for less, never more. */
  scope: string[];
  /** RFC 8707 §2.1: the resources the authorization request named; tokens of the grant are for one of them. */
  resources?: string[];
  /** RFC 9449 §5: a public client's refresh token is bound to its DPoP key: the thumbprint. */
  jkt?: string;
  issuedAt: number;
  /** The idle expiry: this token must be used before then. */
  expiresAt: number;
  /** The absolute expiry of the grant's refresh tokens, carried over by rotation. */
  grantExpiresAt: number;
}

/** An authorization request waiting for the user's decision (consent), bound to that user. */
export interface AuthorizationTransactionRecord {
  clientId: string;
  sub: string;
  scope: string[];
  redirectUri: string;
  redirectUriInRequest: boolean;
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  /** RFC 8707 §2.1: the resources the authorization request named; tokens of the grant are for one of them. */
  resources?: string[];
  /** RFC 9449 §10: `dpop_jkt`, which the code keeps. */
  dpopJkt?: string;
  /** Hash of the CSRF token of the consent form. */
  csrfTokenHash: string;
  expiresAt: number;
}

/** RFC 8628 §3.2: a device authorization request; stored under the device code's hash. */
export interface DeviceCodeRecord {
  clientId: string;
  /** The scope the device asked for. */
  scope: string[];
  /** The hash of the user code that names this request to the user. */
  userCodeHash: string;
  issuedAt: number;
  /** From this second on, polls are answered `expired_token`. */
  expiresAt: number;
  /** Seconds the device must wait between polls (RFC 8628 §3.2 `interval`). */
  interval: number;
}

/** The user's answer to a device authorization request. */
export type DeviceDecision = { approved: true; sub: string; scope: string[]; grantId: string } | { approved: false };

/** What a poll of a device code found (RFC 8628 §3.5), its state before the poll. */
export type DevicePoll =
  | { record: DeviceCodeRecord; status: 'pending' | 'slow_down' | 'denied' | 'used' }
  /** Approved: this poll, and no other, gets the tokens; the code is now used. */
  | { record: DeviceCodeRecord; status: 'approved'; decision: Extract<DeviceDecision, { approved: true }> };

/** A device authorization request waiting for the user's decision (RFC 8628 §3.3), bound to that user. */
export interface DeviceTransactionRecord {
  deviceCodeHash: string;
  clientId: string;
  sub: string;
  /** The scope the device asked for; the user may grant less. */
  scope: string[];
  csrfTokenHash: string;
  expiresAt: number;
}

/**
 * RFC 9126 §2: an authorization request a client pushed, waiting to be used at the authorization
 * endpoint; stored under the hash of its `request_uri`, bound to the client that pushed it.
 */
export interface PushedRequestRecord {
  clientId: string;
  /** The authorization request's parameters as pushed; a repeated one (`resource`) has an array of values. */
  params: Readonly<Record<string, string | readonly string[]>>;
  expiresAt: number;
}

/** Whatever a consent form answers: an authorization request or a device authorization request. */
export type TransactionRecord = AuthorizationTransactionRecord | DeviceTransactionRecord;

/** A user's remembered consent to a client: the scope they allowed, until `expiresAt`. */
export interface ConsentRecord {
  scope: string[];
  expiresAt: number;
}

/** Tokens issued together under one grant: an access token and, maybe, a refresh token. */
export interface GrantTokens {
  grantId: string;
  accessToken: { hash: string; record: AccessTokenRecord };
  refreshToken?: { hash: string; record: RefreshTokenRecord };
}

/** How a refresh token rotation ended. */
export type RotationResult =
  /** The presented token is now used up, and the new tokens are saved. */
  | 'rotated'
  /** The presented token had already been rotated: its grant is now revoked (RFC 9700 §4.14.2). */
  | 'reused'
  /**
   * The presented token was rotated less than the grace ago, and is presented by the same
   * client (a retry of a refresh whose answer was lost): nothing changed.
   */
  | 'justRotated'
  /** Unknown, expired, another client's, or its grant was revoked: nothing changed. */
  | 'unknown';

/** How a code exchange ended. */
export type CodeExchangeResult =
  /** The code is now used, and the tokens are saved. */
  | 'exchanged'
  /** The code had already been used: its grant is now revoked (RFC 6749 §4.1.2). */
  | 'alreadyUsed'
  /** Unknown, expired, another client's, or its grant was revoked: nothing changed. */
  | 'unknown';

/**
 * Persistence for what the server issues. Operations are named for what OAuth needs so that
 * each can be made atomic by its implementation. Every implementation passes
 * `test/stores/store-contract.ts`.
 *
 * A store that cannot answer must reject (with `TemporarilyUnavailableError` where it can
 * tell), never resolve with a guess: callers fail closed.
 */
export interface Store {
  /** Saves a token; the store may forget it once `record.expiresAt` has passed. */
  saveAccessToken(tokenHash: string, record: AccessTokenRecord): Promise<void>;
  /** The record of a token that was saved and not revoked, or `undefined`. Expiry is checked by the caller. */
  findAccessToken(tokenHash: string): Promise<AccessTokenRecord | undefined>;
  /** Forgets a token at once; resolves `true` when it existed. */
  revokeAccessToken(tokenHash: string): Promise<boolean>;

  /**
   * Saves a new authorization code until `record.expiresAt`. The code carries its grant's id
   * (`generateTokenValue('', record.grantId)`), so that it is kept beside its grant.
   */
  saveAuthorizationCode(codeHash: string, record: AuthorizationCodeRecord): Promise<void>;
  /** A code's record, used or not, until it expires: reading it changes nothing. */
  findAuthorizationCode(codeHash: string): Promise<AuthorizationCodeRecord | undefined>;
  /**
   * Uses a code and saves the tokens issued for it (of the code's grant), in one atomic step:
   * of two concurrent exchanges, exactly one is `exchanged`. Using a used code again revokes
   * its grant instead (RFC 6749 §4.1.2). A code of another client than the tokens' changes
   * nothing (`unknown`).
   */
  exchangeAuthorizationCode(codeHash: string, tokens: GrantTokens): Promise<CodeExchangeResult>;

  /**
   * Saves an access token and maybe a refresh token under their grant, so that revoking the
   * grant reaches them. Resolves `false`, saving nothing, when the grant was revoked.
   */
  saveGrantTokens(tokens: GrantTokens): Promise<boolean>;
  /** A refresh token and whether it was already rotated; `undefined` when unknown or expired. */
  findRefreshToken(tokenHash: string): Promise<{ record: RefreshTokenRecord; rotated: boolean } | undefined>;
  /**
   * Atomically replaces the presented refresh token by `tokens` (of the same grant and client).
   * Presenting a token that was already rotated revokes the whole grant instead (reuse
   * detection), unless it was rotated less than `reuseGraceSeconds` before the new tokens'
   * `issuedAt`. A token of another client than the tokens' changes nothing (`unknown`).
   */
  rotateRefreshToken(presentedHash: string, tokens: GrantTokens, reuseGraceSeconds: number): Promise<RotationResult>;
  /**
   * Revokes a grant, atomically: every access and refresh token issued under it is forgotten,
   * and tokens still being issued under it are refused.
   */
  revokeGrant(grantId: string): Promise<void>;

  /**
   * Keeps an authorization request, waiting for the user's decision, until `record.expiresAt`.
   * It counts under each of `quotas` until then, or until it is taken; rejects with
   * `QuotaExceededError`, saving nothing, when one of them is full.
   */
  saveAuthorizationTransaction(idHash: string, record: TransactionRecord, quotas?: readonly Quota[]): Promise<void>;
  /** Returns and forgets a pending request, atomically, so that it can be decided only once. */
  takeAuthorizationTransaction(idHash: string): Promise<TransactionRecord | undefined>;

  /**
   * RFC 9126 §2.2: keeps a pushed authorization request until `record.expiresAt`. It counts under
   * each of `quotas` until then, or until it is taken; rejects with `QuotaExceededError`, saving
   * nothing, when one of them is full.
   */
  savePushedRequest(uriHash: string, record: PushedRequestRecord, quotas?: readonly Quota[]): Promise<void>;
  /**
   * Returns and forgets a pushed request, atomically, so that it is used once (RFC 9126 §4);
   * `undefined`, changing nothing, when unknown, forgotten or pushed by another client than `clientId`.
   */
  takePushedRequest(uriHash: string, clientId: string): Promise<PushedRequestRecord | undefined>;

  /** Remembers what a user allowed a client, replacing what was remembered before. */
  saveConsent(sub: string, clientId: string, record: ConsentRecord): Promise<void>;
  /** What the user last allowed the client, while it is remembered. */
  findConsent(sub: string, clientId: string): Promise<ConsentRecord | undefined>;

  /**
   * Saves a new device authorization request, pending, with its user code. Resolves `false`,
   * saving nothing, when the user code already names a live request (pick another: a retry
   * with the same `deviceCodeHash` is not counted twice). The request counts under each of
   * `quotas` as long as it is kept; rejects with `QuotaExceededError`, saving nothing, when
   * one of them is full.
   */
  saveDeviceCode(deviceCodeHash: string, record: DeviceCodeRecord, quotas?: readonly Quota[]): Promise<boolean>;
  /** The pending request a user code names (not one already decided), or `undefined`. */
  findDeviceCodeByUserCode(userCodeHash: string): Promise<{ deviceCodeHash: string; record: DeviceCodeRecord } | undefined>;
  /** Records the user's decision, atomically, only if the request is still pending; resolves whether it was. */
  decideDeviceCode(deviceCodeHash: string, decision: DeviceDecision): Promise<boolean>;
  /**
   * One poll of the device, atomically (RFC 8628 §3.5): a pending request polled less than
   * `interval` seconds after the previous poll is `slow_down` and its interval grows by 5; an
   * approved one is handed out once and is `used` from then on. `undefined`, changing nothing,
   * when unknown, forgotten or issued to another client than `clientId`; a request is
   * remembered `EXPIRED_DEVICE_CODE_MEMORY_SECONDS` past its expiry.
   */
  pollDeviceCode(deviceCodeHash: string, clientId: string, now: number): Promise<DevicePoll | undefined>;

  /**
   * Replay records (RFC 9449 §11.1 DPoP proofs; client and JWT bearer assertions): remembers
   * `key` (from `onceKey`) until `expiresAt`, seconds since the epoch, and resolves `true`; or
   * resolves `false`, changing nothing, when it is already remembered. Atomic, and seen by every
   * instance sharing the store. Optional: without it the server remembers in its own memory,
   * which is right for one instance only.
   */
  rememberOnce?(key: string, expiresAt: number): Promise<boolean>;

  /**
   * The state of the brute-force limits, kept where the tokens are so that every instance
   * sharing the store sees the same counts. Optional: without it the server keeps it in its
   * own memory.
   */
  attempts?: AttemptStore;

  /**
   * The generated keys that sign JWT access tokens (lib/keys), kept where the tokens are so that
   * every instance sharing the store signs with the same set. Optional: without it the host app
   * gives its own keys (`signingKeys.keys`).
   */
  signingKeys?: SigningKeyStore;

  /**
   * Clients that registered themselves (RFC 7591), kept where the tokens are so that every
   * instance sees them. Optional: the `registration` option needs it.
   */
  registeredClients?: RegisteredClientStore;

  /** Resolves when the store can be used; rejects when it cannot be reached. */
  ping(): Promise<void>;
  /** Releases what the store holds open (connections, timers). */
  close(): Promise<void>;
}

/**
 * A bound on the records one party (a client, an address, a user) can make the store keep:
 * at most `max` live records counted under `key` at once. Checked and counted atomically with
 * the save, so that parallel requests cannot exceed it.
 */
export interface Quota {
  /** Opaque and fixed-length (see `quotaKey`): never a raw address or id. */
  key: string;
  max: number;
}

/** The key of a quota: a digest of what it counts (`kind`, e.g. "device:address") and whose (`value`). */
export function quotaKey(kind: string, value: string): string {
  return hash('sha256', JSON.stringify([kind, value]), 'base64url');
}
/**
 * The key of a replay record: a digest of its purpose (`dpop`, `client-assertion`, …) and of
 * the ids that name one use (e.g. the key thumbprint and the `jti`), so that purposes never meet
 * and no raw id is stored.
 */
export function onceKey(purpose: string, ...ids: string[]): string {
  return hash('sha256', JSON.stringify([purpose, ...ids]), 'base64url');
}

/** `points` failures within `durationSeconds` of the first block the key for `blockSeconds`. */
export interface AttemptLimit {
  points: number;
  durationSeconds: number;
  blockSeconds: number;
}

/** A key of the limits: opaque (hashed by the caller); keys of one `group` may be kept together (one Redis Cluster slot). */
export interface AttemptKey {
  group: string;
  key: string;
}

/**
 * Failure counters, blocks and known-good marks. A block is its own record, never a counter
 * pushed past its limit, and counters only grow (until they expire or become a block), so
 * none is ever negative. A store that cannot answer rejects: callers fail closed.
 */
export interface AttemptStore {
  /** The longest an operation takes before it rejects; a wait for a check slot is bounded by it too (default 2000). */
  readonly timeoutMs?: number;
  /** For each of `blocks`, the milliseconds its block still lasts (0: not blocked); for each of `marks`, whether it is set. */
  read(blocks: readonly AttemptKey[], marks: readonly AttemptKey[]): Promise<{ blockedMs: number[]; marked: boolean[] }>;
  /**
   * Counts one failure under each key, each atomically: the first failure starts the key's
   * window; the one that reaches `points` replaces the counter by a block of `blockSeconds`.
   * A key already blocked is left as it is.
   */
  countFailure(counters: readonly (AttemptKey & { limit: AttemptLimit })[]): Promise<void>;
  /** Sets `mark` for `seconds`. */
  markKnown(mark: AttemptKey, seconds: number): Promise<void>;
}

/** A client registered at the registration endpoint (RFC 7591), as the store keeps it. */
export interface RegisteredClientRecord {
  /** The registered metadata (RFC 7591 §2 names), `client_id` and `client_id_issued_at` included; a secret only as its hash. */
  metadata: Readonly<Record<string, unknown>> & { client_id: string };
  /** RFC 7592 §3: the hash of the registration access token (`hashTokenValue`). */
  registrationTokenHash: string;
  /** The hash of the client's generated secret (`generateClientSecret`), for the methods that use one. */
  secretHash?: string;
}

/** How a registration ended in the store. */
export type ClientCreation =
  | 'created'
  /** The client id is already registered: nothing changed. */
  | 'taken'
  /** `maxClients` clients are registered: nothing changed. */
  | 'full';

/**
 * Registered clients: kept until deleted (no expiry), at most `maxClients` at once. Every
 * change is atomic; a change through the registration access token happens only while the
 * token is the client's current one, so of two updates made with one token exactly one wins.
 */
export interface RegisteredClientStore {
  /**
   * Registers a new client, counted under each of `quotas` until the quota's `forgetAt` (per
   * address rate limits); rejects with `QuotaExceededError`, saving nothing, when one is full.
   */
  createClient(record: RegisteredClientRecord, limits: { maxClients: number; quotas: readonly Quota[]; quotaForgetAt: number }): Promise<ClientCreation>;
  findClient(clientId: string): Promise<RegisteredClientRecord | undefined>;
  /** Replaces the record while its registration token hash is `currentTokenHash`; resolves whether it did. */
  replaceClient(currentTokenHash: string, record: RegisteredClientRecord): Promise<boolean>;
  /** Deletes the client while its registration token hash is `currentTokenHash`; resolves whether it did. */
  deleteClient(clientId: string, currentTokenHash: string): Promise<boolean>;
}

/** A generated signing key as a store keeps it; lib/keys/rotation.ts decides its times. */
export interface StoredSigningKey {
  /** The private key as a JWK, with its `kid` and `alg`. */
  privateJwk: JWK;
  /** Seconds since the epoch. */
  createdAt: number;
  /** From this second on the key signs, until a key with a later `signsFrom` does. */
  signsFrom: number;
}

/** The generated signing keys and the version of the set, which every replacement raises by one. */
export interface StoredSigningKeySet {
  /** 0 while no set is kept. */
  version: number;
  keys: StoredSigningKey[];
}

/** The generated signing keys, as one set that is replaced whole (compare-and-set), so that instances racing to rotate end with one new key. */
export interface SigningKeyStore {
  /** True when the keys never leave this process (the memory store); elsewhere the host app must opt in to keeping private keys there. */
  readonly inProcess: boolean;
  /** The set as it is now (version 0, no keys, when none is kept). */
  read(): Promise<StoredSigningKeySet>;
  /**
   * Replaces the set, atomically, only if its version is still `expectedVersion`; resolves
   * whether it did. The set is forgotten `ttlSeconds` after its last replacement.
   */
  replace(expectedVersion: number, keys: readonly StoredSigningKey[], ttlSeconds: number): Promise<boolean>;
}

const STORE_METHODS = [
  'saveAccessToken', 'findAccessToken', 'revokeAccessToken',
  'saveAuthorizationCode', 'findAuthorizationCode', 'exchangeAuthorizationCode',
  'saveGrantTokens', 'findRefreshToken', 'rotateRefreshToken', 'revokeGrant',
  'saveAuthorizationTransaction', 'takeAuthorizationTransaction', 'savePushedRequest', 'takePushedRequest',
  'saveConsent', 'findConsent',
  'saveDeviceCode', 'findDeviceCodeByUserCode', 'decideDeviceCode', 'pollDeviceCode',
  'ping', 'close',
] as const satisfies readonly (keyof Store)[];

/** The Store methods `value` lacks (all of them when it is not an object). */
export function missingStoreMethods(value: unknown): string[] {
  const methods = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return STORE_METHODS.filter((name) => typeof methods[name] !== 'function');
}

/** Seconds from `now` until `expiresAt`, at least 1 so that a store never keeps a record forever. */
export function secondsToLive(record: { expiresAt: number }, now: number): number {
  return Math.max(1, record.expiresAt - now);
}

/**
 * How long a revoked grant is remembered, so that tokens still being issued under it (a code
 * exchange that began before the revocation) are refused. It outlives any code exchange.
 */
export const REVOKED_GRANT_MEMORY_SECONDS = 24 * 3600;

/** How long an expired device code is remembered, so that its polls get `expired_token` (RFC 8628 §3.5). */
export const EXPIRED_DEVICE_CODE_MEMORY_SECONDS = 600;

/** RFC 8628 §3.5: "the interval MUST be increased by 5 seconds" after slow_down. */
export const SLOW_DOWN_SECONDS = 5;

/** One key for a user and a client, whatever characters their ids hold. */
export function consentKey(sub: string, clientId: string): string {
  return hash('sha256', JSON.stringify([sub, clientId]), 'base64url');
}
