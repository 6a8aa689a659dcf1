import { uniqueKeyPrefix } from '../helpers/stores';
import { grantTokens as tokensOfGrant } from '../helpers/grant-tokens';
import { Redis } from 'ioredis';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { redisStore } from '../../lib/stores/redis/store';
import type { GrantTokens, Store } from '../../lib/stores/store';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';
import { eventually } from '../helpers/eventually';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { storeReachable } from '../helpers/store-reachable';
import { systemNow } from './redis-contract';

/*
 * What one Lua script per operation buys in Redis: an operation that changes a grant either
 * happens whole or not at all, and happens at most once, whatever the connection does.
 */

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
});
afterAll(async () => {
  await redis.stop();
});

const prefix = uniqueKeyPrefix;
const grantTokens = (grantId: string): GrantTokens => tokensOfGrant(grantId, { at: systemNow(), lifetime: 300, grantLifetime: 900 });

async function savedCode(store: Store): Promise<{ codeHash: string; grantId: string }> {
  const grantId = generateGrantId();
  const codeHash = hashTokenValue(generateTokenValue('', grantId));
  const now = systemNow();
  await store.saveAuthorizationCode(codeHash, {
    grantId, clientId: 'spa', sub: 'alice', scope: ['read'], redirectUri: 'https://spa.example/cb', redirectUriInRequest: true, issuedAt: now, expiresAt: now + 60,
  });
  return { codeHash, grantId };
}

/** A client whose connection is lost for every command but scripts, as if it broke right after the first one. */
function clientLosingAllButScripts(client: Redis): Redis {
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (['eval', 'evalsha', 'pipeline', 'on', 'once', 'off', 'connect', 'disconnect'].includes(String(property))) return value.bind(target);
      return () => Promise.reject(new Error('Connection is closed.'));
    },
  });
}

test('revoking a grant is one script: a connection lost after it cannot leave a token of the grant valid', async () => {
  const keyPrefix = prefix();
  const store = redisStore({ url: redis.url, keyPrefix });
  const client = new Redis(redis.url);
  const breaking = redisStore({ client: clientLosingAllButScripts(client), keyPrefix });
  try {
    const tokens = grantTokens(generateGrantId());
    await store.saveGrantTokens(tokens);
    await breaking.revokeGrant(tokens.grantId);
    await expect(store.findAccessToken(tokens.accessToken.hash)).resolves.toBeUndefined();
    await expect(store.findRefreshToken(tokens.refreshToken?.hash as string)).resolves.toBeUndefined();
  } finally {
    await store.close();
    client.disconnect();
  }
});

test('refresh token reuse revokes the grant in the same script: a connection lost after it cannot leave a token of the grant valid', async () => {
  const keyPrefix = prefix();
  const store = redisStore({ url: redis.url, keyPrefix });
  const client = new Redis(redis.url);
  const breaking = redisStore({ client: clientLosingAllButScripts(client), keyPrefix });
  try {
    const grantId = generateGrantId();
    const first = grantTokens(grantId);
    const second = grantTokens(grantId);
    await store.saveGrantTokens(first);
    await store.rotateRefreshToken(first.refreshToken?.hash as string, second, 0);
    await expect(breaking.rotateRefreshToken(first.refreshToken?.hash as string, grantTokens(grantId), 0)).resolves.toBe('reused');
    await expect(store.findAccessToken(second.accessToken.hash)).resolves.toBeUndefined();
  } finally {
    await store.close();
    client.disconnect();
  }
});

test('a code exchange that Redis stalls past commandTimeoutMs (DEBUG SLEEP 3) is 503, and runs at most once: never re-sent, so never counted as reuse', async () => {
  const store = redisStore({ url: redis.url, keyPrefix: prefix(), commandTimeoutMs: 1000 });
  const inspector = new Redis(redis.url);
  try {
    await storeReachable(store);
    const { codeHash, grantId } = await savedCode(store);
    const tokens = grantTokens(grantId);
    const stalled = inspector.call('DEBUG', 'SLEEP', '3');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(store.exchangeAuthorizationCode(codeHash, tokens)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    await stalled;
    await eventually('the store to answer again', async () => (await store.ping()) === undefined);
    // Give a re-sent command time to arrive, were it re-sent.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // A second run would have found the code used, and revoked the grant: new tokens would be refused.
    await expect(store.saveGrantTokens(grantTokens(grantId))).resolves.toBe(true);
  } finally {
    inspector.disconnect();
    await store.close();
  }
}, 20_000);
