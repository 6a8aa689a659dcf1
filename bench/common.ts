import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * What every server in the benchmark is configured with, so that they all do the same work:
 * one confidential client, allowed scope "read", tokens living one hour.
 */
export const CLIENT_ID = 'bench-client';
export const SCOPE = 'read';
export const TOKEN_LIFETIME = 3600;
export const ISSUER_PATH = '/oauth';
export const TOKEN_PATH = '/oauth/token';
export const RESOURCE_PATH = '/api/resource';

/** The one token the Redis GET ceiling knows; any other Bearer value is refused with 401. */
export const CEILING_TOKEN = 'ceiling-token';

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

/** Peers store tokens under their SHA-256, as ours does, so a store leak gives no usable token. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export interface TokenRecord {
  clientId: string;
  scope: string[];
  expiresAt: number;
}

/** Token storage for the peers whose docs leave storage to the app (oauth2orize, node-oauth). */
export interface TokenRepo {
  save(token: string, record: TokenRecord): Promise<void>;
  find(token: string): Promise<TokenRecord | undefined>;
  close(): Promise<void>;
}

export function tokenRepo(kind: StoreKind, redisUrl: string): TokenRepo {
  if (kind === 'memory') {
    const tokens = new Map<string, TokenRecord>();
    return {
      async save(token, record) {
        tokens.set(tokenKey(token), record);
      },
      async find(token) {
        return tokens.get(tokenKey(token));
      },
      async close() {},
    };
  }
  const redis = new Redis(redisUrl);
  return {
    async save(token, record) {
      const ttl = Math.max(1, record.expiresAt - Math.floor(Date.now() / 1000));
      await redis.set(`peer:at:${tokenKey(token)}`, JSON.stringify(record), 'EX', ttl);
    },
    async find(token) {
      const value = await redis.get(`peer:at:${tokenKey(token)}`);
      return value === null ? undefined : (JSON.parse(value) as TokenRecord);
    },
    async close() {
      redis.disconnect();
    },
  };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
