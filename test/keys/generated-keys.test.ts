import express from 'express';
import request from 'supertest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { TemporarilyUnavailableError } from '../../lib/errors';
import { jwksEndpoint, JWKS_MAX_AGE_SECONDS } from '../../lib/endpoints/jwks';
import { CLOCK_SKEW_SECONDS, PUBLISH_AHEAD_SECONDS } from '../../lib/keys/rotation';
import type { SigningKeys } from '../../lib/keys/signing-keys';
import { memoryStore } from '../../lib/stores/memory/store';
import type { SigningKeyStore, Store } from '../../lib/stores/store';
import { keySet, TEST_ALGORITHMS } from '../helpers/signing-keys';

const DAY = 24 * 3600;
const ROTATE = 30 * DAY;
const LIFETIME = 3600;
const T0 = 1_700_000_000;

/** A memory store whose signing-key operations are counted and can be made to fail. */
function watchedStore() {
  const store = memoryStore();
  const inner = store.signingKeys as SigningKeyStore;
  const watch = { reads: 0, replacements: 0, failing: false };
  const fail = () => {
    if (watch.failing) throw new TemporarilyUnavailableError('The token store is unreachable.');
  };
  const signingKeys: SigningKeyStore = {
    inProcess: true,
    async read() {
      watch.reads += 1;
      fail();
      return inner.read();
    },
    async replace(version, keys, ttl) {
      watch.replacements += 1;
      fail();
      return inner.replace(version, keys, ttl);
    },
  };
  return { store: { ...store, signingKeys } as Store, inner, watch };
}

/** A key set with its own clock, starting at T0. */
function instance(store: Store, options: object = {}) {
  const clock = { now: T0 };
  const keys = keySet(options, { store, clock: () => clock.now, longestTokenLifetimeSeconds: LIFETIME });
  return { keys, clock };
}

const kids = async (keys: SigningKeys) => (await keys.publicJwks()).keys.map((key) => key.kid);
const signingKid = async (keys: SigningKeys) => (await keys.signingKey()).kid;
async function sign(keys: SigningKeys, now: number): Promise<string> {
  const { kid, alg, key } = await keys.signingKey();
  return new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).setIssuedAt(now).setExpirationTime(now + LIFETIME).sign(key);
}

describe('generated keys: rotation with overlap', () => {
  test('the first key signs at once, and is published', async () => {
    const { keys } = instance(watchedStore().store);
    const first = await signingKid(keys);
    await expect(kids(keys)).resolves.toEqual([first]);
  });

  test('a new key is published ahead of signing, and the old one stays published until its last token has expired', async () => {
    const { store, inner } = watchedStore();
    const { keys, clock } = instance(store);
    const at = async (now: number) => {
      clock.now = now;
      return { signing: await signingKid(keys), published: await kids(keys) };
    };
    const a = await signingKid(keys);

    // (The set is read at most every 60 s: that is when a rotation is found due.)
    expect(await at(T0 + ROTATE - PUBLISH_AHEAD_SECONDS - 60)).toEqual({ signing: a, published: [a] });
    // Published before it signs.
    const ahead = await at(T0 + ROTATE - PUBLISH_AHEAD_SECONDS);
    expect(ahead.signing).toBe(a);
    expect(ahead.published).toHaveLength(2);
    const b = ahead.published[1] as string;
    expect(await at(T0 + ROTATE - 1)).toEqual({ signing: a, published: [a, b] });
    const lastOfA = await sign(keys, T0 + ROTATE - 1);
    // Signs from then on, without a store read (the set in memory knows when).
    expect(await at(T0 + ROTATE)).toEqual({ signing: b, published: [a, b] });

    // The last token A signed expires at T0 + ROTATE - 1 + LIFETIME; A stays published past that, by the skew.
    const aRetires = T0 + ROTATE + LIFETIME + CLOCK_SKEW_SECONDS;
    expect(await at(aRetires - 1)).toEqual({ signing: b, published: [a, b] });
    clock.now = T0 + ROTATE - 1 + LIFETIME;
    await expect(jwtVerify(lastOfA, createLocalJWKSet(await keys.publicJwks()), { currentDate: new Date((T0 + ROTATE - 2 + LIFETIME) * 1000) })).resolves.toBeDefined();
    expect(await at(aRetires)).toEqual({ signing: b, published: [b] });
    await expect(keys.verificationKey({ kid: a, alg: 'ES256' })).resolves.toBeUndefined();
    // …and is gone from the store too.
    expect((await inner.read()).keys.map((key) => key.privateJwk.kid)).toEqual([b]);
  });

  test('each key signs for rotateAfterSeconds, rotation after rotation', async () => {
    const { keys, clock } = instance(watchedStore().store, { rotateAfterSeconds: 2 * DAY });
    const signers: string[] = [await signingKid(keys)];
    for (const start of [T0 + 2 * DAY, T0 + 4 * DAY, T0 + 6 * DAY]) {
      clock.now = start - PUBLISH_AHEAD_SECONDS;
      await keys.publicJwks();
      clock.now = start - 1;
      await expect(signingKid(keys)).resolves.toBe(signers.at(-1));
      clock.now = start;
      signers.push(await signingKid(keys));
    }
    expect(new Set(signers).size).toBe(4);
  });

  test('the JWKS max-age, the instances\' reload interval and the skew all pass before a published key signs', () => {
    expect(PUBLISH_AHEAD_SECONDS).toBeGreaterThan(JWKS_MAX_AGE_SECONDS + 60 + CLOCK_SKEW_SECONDS);
  });

  test.each(TEST_ALGORITHMS)('generated %s keys sign tokens that verify with the published JWKS', async (algorithm) => {
    const { keys } = instance(watchedStore().store, { algorithm });
    const token = await sign(keys, T0);
    expect(decodeProtectedHeader(token).alg).toBe(algorithm);
    await expect(jwtVerify(token, createLocalJWKSet(await keys.publicJwks()), { currentDate: new Date(T0 * 1000) })).resolves.toBeDefined();
  });

  test('instances racing on one store end with one first key, and with one new key at rotation', async () => {
    const { store, inner } = watchedStore();
    const fleet = Array.from({ length: 5 }, () => instance(store));
    const firsts = await Promise.all(fleet.map(({ keys }) => signingKid(keys)));
    expect(new Set(firsts).size).toBe(1);
    for (const member of fleet) member.clock.now = T0 + ROTATE - PUBLISH_AHEAD_SECONDS;
    const published = await Promise.all(fleet.map(({ keys }) => kids(keys)));
    expect(new Set(published.map((list) => list.join()))).toEqual(new Set([published[0]?.join()]));
    expect((await inner.read()).keys).toHaveLength(2);
  });
});

describe('generated keys: reading the store', () => {
  test('the set is read again at most every 60 s', async () => {
    const { store, watch } = watchedStore();
    const { keys, clock } = instance(store);
    await keys.signingKey();
    const reads = watch.reads;
    clock.now = T0 + 59;
    await Promise.all([keys.signingKey(), keys.publicJwks(), keys.signingKey()]);
    expect(watch.reads).toBe(reads);
    clock.now = T0 + 60;
    await Promise.all([keys.signingKey(), keys.publicJwks(), keys.signingKey()]);
    expect(watch.reads).toBe(reads + 1);
  });

  test('an unknown kid reads the store once per cooldown, however many ask', async () => {
    const { store, watch } = watchedStore();
    const { keys, clock } = instance(store);
    await keys.signingKey();
    const reads = watch.reads;
    const unknown = () => keys.verificationKey({ kid: 'no-such-kid', alg: 'ES256' });
    await expect(Promise.all(Array.from({ length: 100 }, unknown))).resolves.toEqual(Array(100).fill(undefined));
    for (let i = 0; i < 10; i++) await unknown();
    expect(watch.reads).toBe(reads + 1);
    clock.now = T0 + 10;
    await unknown();
    expect(watch.reads).toBe(reads + 2);
  });

  test('a key another instance added since the last read is found by the unknown-kid read', async () => {
    const { store } = watchedStore();
    const verifier = instance(store);
    const rotator = instance(store);
    await verifier.keys.signingKey();
    rotator.clock.now = T0 + ROTATE - PUBLISH_AHEAD_SECONDS;
    const added = (await kids(rotator.keys))[1] as string;
    verifier.clock.now = T0 + 5;
    await expect(verifier.keys.verificationKey({ kid: added, alg: 'ES256' })).resolves.toBeDefined();
  });

  test('store down: signing and publishing reject (503), verification with a key in memory goes on', async () => {
    const { store, watch } = watchedStore();
    const { keys, clock } = instance(store);
    const token = await sign(keys, T0);
    const { kid } = decodeProtectedHeader(token);
    watch.failing = true;
    clock.now = T0 + 61;
    await expect(keys.signingKey()).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    await expect(keys.publicJwks()).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    const key = await keys.verificationKey({ kid: kid as string, alg: 'ES256' });
    await expect(jwtVerify(token, key as CryptoKey, { currentDate: new Date((T0 + 61) * 1000) })).resolves.toBeDefined();
    // An unknown kid cannot be told from a new one: 503, then the same answer until the cooldown ends, without a read.
    const reads = watch.reads;
    await expect(keys.verificationKey({ kid: 'new-or-forged', alg: 'ES256' })).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    await expect(keys.verificationKey({ kid: 'new-or-forged', alg: 'ES256' })).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    expect(watch.reads).toBe(reads + 1);

    const app = express().get('/jwks', jwksEndpoint(keys, () => {}));
    const down = await request(app).get('/jwks');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ error: 'temporarily_unavailable' });

    watch.failing = false;
    await expect(keys.signingKey()).resolves.toMatchObject({ kid });
  });
});

describe('GET /jwks', () => {
  test('serves the public keys as application/jwk-set+json (RFC 7517 §8.5), cacheable for 5 minutes', async () => {
    const { keys } = instance(watchedStore().store);
    const app = express().get('/jwks', jwksEndpoint(keys, () => {}));
    const response = await request(app).get('/jwks');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/jwk-set+json');
    expect(response.headers['cache-control']).toBe(`public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    expect(JSON.parse(response.text)).toEqual(await keys.publicJwks());
  });
});
