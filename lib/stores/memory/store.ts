import { grantIdOfTokenHash } from '../../tokens/token-value';
import { systemClock, type Clock } from '../../clock';
import { checkMemoryStoreOptions } from '../../options/stores';
import { TemporarilyUnavailableError } from '../../errors';
import { MemoryQuotas } from './quotas';
import { memoryAttemptStore } from './attempts';
import { memoryRegisteredClients } from './clients';
import { memorySigningKeyStore } from './signing-keys';
import {
  consentKey,
  EXPIRED_DEVICE_CODE_MEMORY_SECONDS,
  SLOW_DOWN_SECONDS,
  REVOKED_GRANT_MEMORY_SECONDS,
  secondsToLive,
  type AccessTokenRecord,
  type AuthorizationCodeRecord,
  type TransactionRecord,
  type PushedRequestRecord,
  type ConsentRecord,
  type DeviceCodeRecord,
  type DeviceDecision,
  type GrantTokens,
  type RefreshTokenRecord,
  type Store,
} from '../store';

export interface MemoryStoreOptions {
  /** How often expired records are swept out, in seconds (default 60). */
  sweepIntervalSeconds?: number;
  /**
   * Most records kept at once (default 100,000: about 50 MB of access tokens, 200 MB at most;
   * README, "State the server keeps"). When
   * full, operations that would add records are refused (503 temporarily_unavailable); live
   * records are never evicted, and revocation always works.
   */
  maxRecords?: number;
  clock?: Clock;
}

/**
 * The embedded store: one process, no server. Records leave memory when they expire (read
 * time and a periodic sweep), and at most `maxRecords` are kept, so memory stays bounded.
 * Every operation runs without yielding to the event loop, so each one is atomic.
 */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const { sweepIntervalSeconds, maxRecords, clock = systemClock } = checkMemoryStoreOptions(options);
  const accessTokens = new ExpiringMap<AccessTokenRecord>(clock);
  const refreshTokens = new ExpiringMap<{ record: RefreshTokenRecord; rotatedAt?: number }>(clock);
  const codes = new ExpiringMap<{ record: AuthorizationCodeRecord; used: boolean }>(clock);
  const transactions = new ExpiringMap<TransactionRecord>(clock);
  const pushedRequests = new ExpiringMap<PushedRequestRecord>(clock);
  /** The hashes of the tokens issued under each grant, kept as long as the longest-lived one. */
  const grantTokenHashes = new ExpiringMap<Set<string>>(clock);
  const revokedGrants = new ExpiringMap<true>(clock);
  const consents = new ExpiringMap<ConsentRecord>(clock);
  const devices = new ExpiringMap<DeviceState>(clock);
  /** User code hash → device code hash, while the request lives. */
  const userCodes = new ExpiringMap<string>(clock);
  /** Replay records (`rememberOnce`): ids used once, until they could no longer be accepted. */
  const usedOnce = new ExpiringMap<true>(clock);
  const maps = [accessTokens, refreshTokens, codes, transactions, pushedRequests, grantTokenHashes, revokedGrants, consents, devices, userCodes, usedOnce];
  const quotas = new MemoryQuotas(clock);

  const attempts = memoryAttemptStore(clock, sweepIntervalSeconds);
  const registeredClients = memoryRegisteredClients(quotas);

  function sweepAll(): void {
    for (const map of maps) map.sweep();
    quotas.sweep();
  }
  const sweep = setInterval(sweepAll, sweepIntervalSeconds * 1000);
  sweep.unref();

  let sweptWhenFullAt: number | undefined;
  /** Called before anything that adds records: refuses when `maxRecords` are kept (after sweeping, at most once a second). */
  function needRoom(): void {
    const held = () => maps.reduce((sum, map) => sum + map.size, 0);
    if (held() < maxRecords) return;
    if (sweptWhenFullAt !== clock()) {
      sweptWhenFullAt = clock();
      sweepAll();
      if (held() < maxRecords) return;
    }
    throw new TemporarilyUnavailableError('The server holds as many records as it may: try again later.');
  }

  /**
   * A code (RFC 6749 §4.1.2) or refresh token (RFC 9700 §4.14.2) is redeemed once, its tokens
   * saved in the same step; a second use revokes its grant. Resolves whether it was redeemed now.
   */
  function redeemOnce(tokens: GrantTokens, redeemedBefore: boolean, markRedeemed: () => void): boolean {
    if (redeemedBefore) {
      revokeGrant(tokens.grantId);
      return false;
    }
    needRoom();
    markRedeemed();
    saveTokens(tokens);
    return true;
  }

  function track(grantId: string, tokenHash: string, record: { expiresAt: number }): void {
    const hashes = grantTokenHashes.get(grantId) ?? new Set<string>();
    hashes.add(tokenHash);
    grantTokenHashes.set(grantId, hashes, Math.max(record.expiresAt, grantTokenHashes.forgetAt(grantId) ?? 0));
  }

  function saveTokens({ grantId, accessToken, refreshToken }: GrantTokens): void {
    accessTokens.set(accessToken.hash, frozenCopy(accessToken.record), accessToken.record.expiresAt);
    track(grantId, accessToken.hash, accessToken.record);
    if (refreshToken !== undefined) {
      refreshTokens.set(refreshToken.hash, { record: frozenCopy(refreshToken.record) }, refreshToken.record.expiresAt);
      track(grantId, refreshToken.hash, refreshToken.record);
    }
  }

  function revokeGrant(grantId: string): void {
    revokedGrants.set(grantId, true, clock() + REVOKED_GRANT_MEMORY_SECONDS);
    for (const hash of grantTokenHashes.get(grantId) ?? []) {
      accessTokens.delete(hash);
      refreshTokens.delete(hash);
    }
    grantTokenHashes.delete(grantId);
  }

  /** A code or refresh token is redeemed only for tokens of its grant and client, while the grant stands. */
  function redeemableFor(tokens: GrantTokens, hash: string, record: { clientId: string }): boolean {
    return grantIdOfTokenHash(hash) === tokens.grantId && record.clientId === tokens.accessToken.record.clientId && revokedGrants.get(tokens.grantId) === undefined;
  }

  return {
    async saveAccessToken(tokenHash, record) {
      needRoom();
      accessTokens.set(tokenHash, frozenCopy(record), record.expiresAt);
    },
    async findAccessToken(tokenHash) {
      return accessTokens.get(tokenHash);
    },
    async revokeAccessToken(tokenHash) {
      return accessTokens.delete(tokenHash);
    },

    async saveAuthorizationCode(codeHash, record) {
      needRoom();
      codes.set(codeHash, { record: frozenCopy(record), used: false }, record.expiresAt);
    },
    async findAuthorizationCode(codeHash) {
      return codes.get(codeHash)?.record;
    },
    async exchangeAuthorizationCode(codeHash, tokens) {
      const entry = codes.get(codeHash);
      if (entry === undefined || !redeemableFor(tokens, codeHash, entry.record)) return 'unknown';
      return redeemOnce(tokens, entry.used, () => (entry.used = true)) ? 'exchanged' : 'alreadyUsed';
    },

    async saveGrantTokens(tokens) {
      if (revokedGrants.get(tokens.grantId) !== undefined) return false;
      needRoom();
      saveTokens(tokens);
      return true;
    },
    async findRefreshToken(tokenHash) {
      const entry = refreshTokens.get(tokenHash);
      return entry === undefined ? undefined : { record: entry.record, rotated: entry.rotatedAt !== undefined };
    },
    async rotateRefreshToken(presentedHash, tokens, reuseGraceSeconds) {
      const entry = refreshTokens.get(presentedHash);
      if (entry === undefined || !redeemableFor(tokens, presentedHash, entry.record)) return 'unknown';
      const now = tokens.accessToken.record.issuedAt;
      // RFC 9700 §4.14.2: reuse revokes the grant, past the grace of a retry by the same client.
      if (entry.rotatedAt !== undefined && now - entry.rotatedAt < reuseGraceSeconds) return 'justRotated';
      return redeemOnce(tokens, entry.rotatedAt !== undefined, () => (entry.rotatedAt = now)) ? 'rotated' : 'reused';
    },
    async revokeGrant(grantId) {
      revokeGrant(grantId);
    },

    async saveAuthorizationTransaction(idHash, record, quotaList = []) {
      needRoom();
      quotas.admit(quotaList, idHash, record.expiresAt);
      transactions.set(idHash, frozenCopy(record), record.expiresAt);
    },
    async takeAuthorizationTransaction(idHash) {
      const record = transactions.get(idHash);
      transactions.delete(idHash);
      quotas.release(idHash);
      return record;
    },

    async savePushedRequest(uriHash, record, quotaList = []) {
      needRoom();
      quotas.admit(quotaList, uriHash, record.expiresAt);
      pushedRequests.set(uriHash, frozenPushedRequest(record), record.expiresAt);
    },
    async takePushedRequest(uriHash, clientId) {
      const record = pushedRequests.get(uriHash);
      if (record?.clientId !== clientId) return undefined;
      pushedRequests.delete(uriHash);
      quotas.release(uriHash);
      return record;
    },

    async saveConsent(sub, clientId, record) {
      needRoom();
      consents.set(consentKey(sub, clientId), frozenCopy(record), record.expiresAt);
    },
    async findConsent(sub, clientId) {
      return consents.get(consentKey(sub, clientId));
    },

    async saveDeviceCode(deviceCodeHash, record, quotaList = []) {
      if (userCodes.get(record.userCodeHash) !== undefined) return false;
      needRoom();
      const forgetAt = record.expiresAt + EXPIRED_DEVICE_CODE_MEMORY_SECONDS;
      quotas.admit(quotaList, deviceCodeHash, forgetAt);
      userCodes.set(record.userCodeHash, deviceCodeHash, forgetAt);
      devices.set(deviceCodeHash, { record: frozenCopy(record), status: 'pending', interval: record.interval }, forgetAt);
      return true;
    },
    async findDeviceCodeByUserCode(userCodeHash) {
      const deviceCodeHash = userCodes.get(userCodeHash);
      const state = deviceCodeHash === undefined ? undefined : devices.get(deviceCodeHash);
      return state?.status === 'pending' ? { deviceCodeHash: deviceCodeHash as string, record: state.record } : undefined;
    },
    async decideDeviceCode(deviceCodeHash, decision) {
      const state = devices.get(deviceCodeHash);
      if (state?.status !== 'pending') return false;
      state.status = decision.approved ? 'approved' : 'denied';
      if (decision.approved) state.decision = { ...decision, scope: [...decision.scope] };
      return true;
    },
    async pollDeviceCode(deviceCodeHash, clientId, now) {
      const state = devices.get(deviceCodeHash);
      if (state === undefined || state.record.clientId !== clientId) return undefined;
      const { status, previousPoll } = state;
      state.previousPoll = now;
      if (status === 'approved') {
        state.status = 'used';
        return { record: state.record, status, decision: state.decision as ApprovedDevice };
      }
      if (status === 'pending' && previousPoll !== undefined && now - previousPoll < state.interval) {
        state.interval += SLOW_DOWN_SECONDS;
        return { record: { ...state.record, interval: state.interval }, status: 'slow_down' };
      }
      return { record: { ...state.record, interval: state.interval }, status };
    },

    async rememberOnce(key, expiresAt) {
      if (usedOnce.get(key) !== undefined) return false;
      needRoom();
      usedOnce.set(key, true, expiresAt);
      return true;
    },

    attempts,
    registeredClients,
    signingKeys: memorySigningKeyStore(clock),
    async ping() {},
    async close() {
      clearInterval(sweep);
      attempts.close();
      registeredClients.clear();
      for (const map of maps) map.clear();
      quotas.clear();
    },
  };
}

type ApprovedDevice = Extract<DeviceDecision, { approved: true }>;

/** A device authorization request and what has happened to it since. */
interface DeviceState {
  record: DeviceCodeRecord;
  status: 'pending' | 'approved' | 'denied' | 'used';
  decision?: ApprovedDevice;
  /** The current interval: the record's, grown by every slow_down. */
  interval: number;
  previousPoll?: number;
}

/** A map whose entries are forgotten once their time has come (checked on read and by `sweep`). */
class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; forgetAt: number }>();

  constructor(private readonly clock: Clock) {}

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  /** Keeps `value` until `expiresAt`, and at least one second (as `secondsToLive`). */
  set(key: string, value: V, expiresAt: number): void {
    const now = this.clock();
    this.entries.set(key, { value, forgetAt: now + secondsToLive({ expiresAt }, now) });
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.forgetAt <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  forgetAt(key: string): number | undefined {
    return this.get(key) === undefined ? undefined : this.entries.get(key)?.forgetAt;
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  sweep(): void {
    const now = this.clock();
    for (const [key, entry] of this.entries) {
      if (entry.forgetAt <= now) this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Records are handed out as they are kept, so they are kept frozen: no caller can change them. */
function frozenCopy<R extends { scope: string[] }>(record: R): R {
  return Object.freeze({ ...record, scope: Object.freeze([...record.scope]) as string[] });
}

function frozenPushedRequest(record: PushedRequestRecord): PushedRequestRecord {
  const params = Object.fromEntries(Object.entries(record.params).map(([name, value]) => [name, typeof value === 'string' ? value : Object.freeze([...value])]));
  return Object.freeze({ ...record, params: Object.freeze(params) });
}
