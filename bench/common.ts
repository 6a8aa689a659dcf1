import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Redis } from 'ioredis';
import type { JWK } from 'jose';

/**
 * What every server in the benchmark is configured with, so that they all do the same work:
 * one confidential client, allowed scope "read", tokens living one hour.
 */
export const CLIENT_ID = 'bench-client';
export const SCOPE = 'read';
export const TOKEN_LIFETIME = 3600;
/** Authorization codes live a minute everywhere (ours' and oidc-provider's default). */
export const CODE_LIFETIME = 60;
export const ISSUER_PATH = '/oauth';
export const TOKEN_PATH = '/oauth/token';
export const AUTHORIZE_PATH = '/oauth/authorize';
export const RESOURCE_PATH = '/api/resource';
/** The client's one registered redirect URI; the runner reads codes from the Location header and never follows it. */
export const REDIRECT_URI = 'https://client.bench.example/callback';
/** The user every server sees as signed in at its authorization endpoint. */
export const BENCH_USER = 'bench-user';

/**
 * The resource (RFC 8707) of the JWT scenarios: a token requested with `resource=` this URI is a
 * JWT access token (RFC 9068) with it as `aud`. It is never fetched.
 */
export const JWT_RESOURCE = 'https://api.bench.example/jwt';
/** The body of every token request of the JWT scenarios, at every server. */
export const JWT_TOKEN_BODY = `grant_type=client_credentials&scope=${SCOPE}&resource=${encodeURIComponent(JWT_RESOURCE)}`;
/** The JWS algorithm of the JWT scenarios, at every server that signs (BENCH_JWT_ALG). */
export const DEFAULT_JWT_ALGORITHM = 'ES256';

/** The one token the Redis GET ceiling knows; any other Bearer value is refused with 401. */
export const CEILING_TOKEN = 'ceiling-token';

/**
 * Node flags of every server process. Node walks the stack of each of the first 10,000 calls of
 * the deprecated `Buffer()` (DEP0005) to see whether node_modules made it; passport-http makes
 * one per Basic request (ours and oauth2orize's), so a run of a few seconds would mostly measure
 * that start-up check. With these flags it is settled at the first call and nothing is printed:
 * the state every server is in after its first 10,000 Basic requests.
 */
export const SERVER_NODE_FLAGS = ['--pending-deprecation', '--no-deprecation'];

export type StoreKind = 'redis' | 'memory';

/** Settings a server child process receives from the runner (as JSON in BENCH_SERVER). */
export interface ServerSettings {
  target: string;
  store: StoreKind;
  redisUrl: string;
  port: number;
  workers: number;
  clientSecret: string;
  /** The client's secret as generateClientSecret() hashed it: sha256$<salt>$<hash>. */
  clientSecretHash: string;
  /** The JWS algorithm of JWT access tokens (JWT scenarios). */
  jwtAlgorithm: string;
  /**
   * Who issues the tokens that express-oauth2-jwt-bearer checks, in its process: ours, or the
   * jose issuer while the package cannot sign JWT access tokens (the runner finds out).
   */
  jwtIssuer: 'ours' | 'jose';
  /** The bench client's public key (a JWK), for `private_key_jwt` (the pkjwt-token scenario). */
  clientPublicJwk?: JWK;
}

export type Handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;

export interface BuiltApp {
  handler: Handler;
  close(): Promise<void>;
}

/**
 * The peers check the client secret the way our package does for generated secrets: a salted
 * SHA-256 compared in constant time, so none of them pays for a slower (or faster) hash.
 */
export function verifySecret(presented: string, storedHash: string): boolean {
  const [kind, salt, hash] = storedHash.split('$');
  if (kind !== 'sha256' || !salt || !hash) return false;
  const digest = createHash('sha256').update(salt).update('\0').update(presented, 'utf8').digest();
  const expected = Buffer.from(hash, 'base64url');
  return digest.length === expected.length && timingSafeEqual(digest, expected);
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** RFC 7636 §4.2: the S256 code challenge of a verifier. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** A fresh PKCE verifier (43 characters) and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomToken();
  return { verifier, challenge: s256(verifier) };
}

/** RFC 7636 §4.6 for the peers that leave it to the app: the verifier's S256 equals the challenge, compared in constant time. */
export function verifierMatches(verifier: unknown, challenge: string): boolean {
  if (typeof verifier !== 'string' || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  const derived = Buffer.from(s256(verifier));
  const expected = Buffer.from(challenge);
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

/** Peers store tokens under their SHA-256, as ours does, so a store leak gives no usable token. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export interface TokenRecord {
  clientId: string;
  scope: string[];
  /** The user, for tokens of the authorization code and refresh flows. */
  sub?: string;
  expiresAt: number;
}

export interface CodeRecord extends TokenRecord {
  sub: string;
  redirectUri: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
}

/** One kind of record, kept under the SHA-256 of its token. */
export interface RecordRepo<T extends { expiresAt: number }> {
  save(token: string, record: T): Promise<void>;
  find(token: string): Promise<T | undefined>;
  /** Finds and deletes in one step (Redis GETDEL): for single-use values. */
  take(token: string): Promise<T | undefined>;
  /** Deletes; true when it was there. */
  remove(token: string): Promise<boolean>;
}

/** Storage for the peers whose docs leave it to the app (oauth2orize, node-oauth): one Redis connection, or Maps. */
export interface PeerStore {
  accessTokens: RecordRepo<TokenRecord>;
  codes: RecordRepo<CodeRecord>;
  refreshTokens: RecordRepo<TokenRecord>;
  /** Records `key` for `seconds` unless it is there: false when it was (a replayed DPoP proof's `jti`). */
  rememberOnce(key: string, seconds: number): Promise<boolean>;
  close(): Promise<void>;
}

export function peerStore(kind: StoreKind, redisUrl: string): PeerStore {
  if (kind === 'memory') {
    return { accessTokens: memoryRepo(), codes: memoryRepo(), refreshTokens: memoryRepo(), rememberOnce: memoryRememberOnce(), close: async () => {} };
  }
  const redis = new Redis(redisUrl);
  return {
    accessTokens: redisRepo(redis, 'peer:at:'),
    codes: redisRepo(redis, 'peer:code:'),
    refreshTokens: redisRepo(redis, 'peer:rt:'),
    // One `SET … EX … NX`.
    rememberOnce: async (key, seconds) => (await redis.set(`peer:once:${key}`, '1', 'EX', seconds, 'NX')) === 'OK',
    close: async () => void redis.disconnect(),
  };
}

/** A Map of keys to when they expire; expired keys are swept once a minute. */
function memoryRememberOnce(): PeerStore['rememberOnce'] {
  const expiries = new Map<string, number>();
  let nextSweep = 0;
  return async (key, seconds) => {
    const now = Date.now();
    if (now >= nextSweep) {
      for (const [k, expiry] of expiries) if (expiry <= now) expiries.delete(k);
      nextSweep = now + 60_000;
    }
    if ((expiries.get(key) ?? 0) > now) return false;
    expiries.set(key, now + seconds * 1000);
    return true;
  };
}

function memoryRepo<T extends { expiresAt: number }>(): RecordRepo<T> {
  const records = new Map<string, T>();
  return {
    async save(token, record) {
      records.set(tokenKey(token), record);
    },
    async find(token) {
      return records.get(tokenKey(token));
    },
    async take(token) {
      const key = tokenKey(token);
      const record = records.get(key);
      records.delete(key);
      return record;
    },
    async remove(token) {
      return records.delete(tokenKey(token));
    },
  };
}

/** One `SET … EX` of a JSON record per save, one `GET` per find, `GETDEL` per take, `DEL` per remove. */
function redisRepo<T extends { expiresAt: number }>(redis: Redis, prefix: string): RecordRepo<T> {
  const parse = (value: string | null) => (value === null ? undefined : (JSON.parse(value) as T));
  return {
    async save(token, record) {
      const ttl = Math.max(1, record.expiresAt - nowSeconds());
      await redis.set(prefix + tokenKey(token), JSON.stringify(record), 'EX', ttl);
    },
    async find(token) {
      return parse(await redis.get(prefix + tokenKey(token)));
    },
    async take(token) {
      return parse(await redis.getdel(prefix + tokenKey(token)));
    },
    async remove(token) {
      return (await redis.del(prefix + tokenKey(token))) > 0;
    },
  };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
