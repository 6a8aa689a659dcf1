import { Redis } from 'ioredis';
import { createLocalJWKSet, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { PUBLISH_AHEAD_SECONDS } from '../../lib/keys/rotation';
import type { SigningKeys } from '../../lib/keys/signing-keys';
import { memoryStore } from '../../lib/stores/memory/store';
import { redisStore } from '../../lib/stores/redis/store';
import type { SigningKeyStore, Store } from '../../lib/stores/store';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { checked, keySet } from '../helpers/signing-keys';
import { uniqueKeyPrefix } from '../helpers/stores';

const T0 = 1_700_000_000;
const ROTATE = 30 * 24 * 3600;
const OPT_IN = { keepPrivateKeysInStore: true };

let redis: RedisServer;
const stores: Store[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await redis.stop();
});

function sharedRedis(prefix: string): Store {
  const store = redisStore({ url: redis.url, keyPrefix: prefix });
  stores.push(store);
  return store;
}

function instance(store: Store) {
  const clock = { now: T0 };
  return { keys: keySet(OPT_IN, { store, clock: () => clock.now, longestTokenLifetimeSeconds: 3600 }), clock };
}

const signingKid = async (keys: SigningKeys) => (await keys.signingKey()).kid;

describe('generated keys need a store that keeps them, and an opt-in for a shared one', () => {
  test('a Redis store without keepPrivateKeysInStore is refused, naming the option and the alternative', () => {
    expect(() => checked({}, sharedRedis(uniqueKeyPrefix()))).toThrow(/`signingKeys` must say where the signing keys come from: set `keepPrivateKeysInStore: true`.*or give your own in `keys`/);
    expect(() => checked(undefined, sharedRedis(uniqueKeyPrefix()))).toThrow(/keepPrivateKeysInStore/);
    expect(() => checked(OPT_IN, sharedRedis(uniqueKeyPrefix()))).not.toThrow();
  });

  test('the memory store needs no opt-in: its keys never leave the process', () => {
    expect(checked(undefined, memoryStore())).toEqual({ source: 'generated', algorithm: 'ES256', rotateAfterSeconds: ROTATE });
  });

  test('a store without signingKeys is refused, pointing to `keys`', () => {
    const { signingKeys: _none, ...store } = memoryStore();
    expect(() => checked(OPT_IN, store)).toThrow(/`signingKeys` is needed: the store keeps no signing keys.*`signingKeys\.keys`/);
  });

  test('rotateAfterSeconds under an hour, or not a whole number, is refused', () => {
    expect(() => checked({ rotateAfterSeconds: 3599 })).toThrow(/`signingKeys\.rotateAfterSeconds` must be at least 3600/);
    expect(() => checked({ rotateAfterSeconds: 1.5 })).toThrow(/`signingKeys\.rotateAfterSeconds` must be a positive whole number/);
    expect(checked({ rotateAfterSeconds: 3600 })).toMatchObject({ rotateAfterSeconds: 3600 });
  });
});

describe('two instances on one Redis (two redisStore()s, one prefix)', () => {
  test('agree on the signing key, and a token one signs verifies with the other\'s key and JWKS', async () => {
    const prefix = uniqueKeyPrefix();
    const [a, b] = [instance(sharedRedis(prefix)), instance(sharedRedis(prefix))];
    const { kid, alg, key } = await a.keys.signingKey();
    await expect(signingKid(b.keys)).resolves.toBe(kid);
    const token = await new SignJWT({}).setProtectedHeader({ alg, kid }).setIssuedAt(T0).setExpirationTime(T0 + 60).sign(key);
    const at = { currentDate: new Date(T0 * 1000) };
    await expect(jwtVerify(token, createLocalJWKSet(await b.keys.publicJwks()), at)).resolves.toBeDefined();
    await expect(jwtVerify(token, (await b.keys.verificationKey({ kid, alg })) as CryptoKey, at)).resolves.toBeDefined();
  });

  test('racing on an empty store, and again at rotation, they add one key each time', async () => {
    const prefix = uniqueKeyPrefix();
    const fleet = [sharedRedis(prefix), sharedRedis(prefix)].flatMap((store) => [instance(store), instance(store), instance(store)]);
    const firsts = await Promise.all(fleet.map(({ keys }) => signingKid(keys)));
    expect(new Set(firsts).size).toBe(1);

    for (const member of fleet) member.clock.now = T0 + ROTATE - PUBLISH_AHEAD_SECONDS;
    const published = await Promise.all(fleet.map(async ({ keys }) => (await keys.publicJwks()).keys.map((key) => key.kid).join()));
    expect(new Set(published).size).toBe(1);
    const stored = await (sharedRedis(prefix).signingKeys as SigningKeyStore).read();
    expect(stored.keys).toHaveLength(2);

    for (const member of fleet) member.clock.now = T0 + ROTATE;
    const seconds = await Promise.all(fleet.map(({ keys }) => signingKid(keys)));
    expect(new Set(seconds)).toEqual(new Set([stored.keys[1]?.privateJwk.kid]));
  });

  test('the set is one Redis key, <prefix>signing-keys, that expires once its keys no longer matter', async () => {
    const prefix = uniqueKeyPrefix();
    await instance(sharedRedis(prefix)).keys.signingKey();
    const inspector = new Redis(redis.url);
    try {
      expect(await inspector.keys(`${prefix}*`)).toEqual([`${prefix}signing-keys`]);
      // A new key every 30 days, published 600 s ahead; the last stays published for its tokens (3600 s) and the skew (60 s).
      const ttl = await inspector.ttl(`${prefix}signing-keys`);
      expect(ttl).toBeGreaterThan(ROTATE + PUBLISH_AHEAD_SECONDS + 3600 + 60 - 10);
      expect(ttl).toBeLessThanOrEqual(ROTATE + PUBLISH_AHEAD_SECONDS + 3600 + 60);
    } finally {
      inspector.disconnect();
    }
  });

  test('Redis down: signing rejects with 503, a known kid still verifies from memory', async () => {
    const { keys, clock } = instance(sharedRedis(uniqueKeyPrefix()));
    const { kid, alg } = await keys.signingKey();
    await redis.kill();
    try {
      clock.now = T0 + 61;
      await expect(keys.signingKey()).rejects.toBeInstanceOf(TemporarilyUnavailableError);
      await expect(keys.verificationKey({ kid, alg })).resolves.toBeDefined();
    } finally {
      await redis.restart();
    }
  });
});
