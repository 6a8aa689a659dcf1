import type { AccessTokenRecord, Store } from '../../lib/stores/store';
import { hashTokenValue, generateTokenValue } from '../../lib/tokens/token-value';
import { authorizationContract } from './authorization-contract';
import { deviceContract } from './device-contract';
import { quotaContract } from './quota-contract';
import { attemptsContract } from './attempts-contract';
import { replayContract } from './replay-contract';
import { signingKeysContract } from './signing-keys-contract';
import { registeredClientsContract } from './registered-clients-contract';

export interface StoreUnderTest {
  store: Store;
  /** Moves the store's notion of time forward (the memory store's clock, or real waiting for Redis). */
  advance(seconds: number): Promise<void>;
  now(): number;
}

/**
 * The behaviour every Store must have. Each implementation's test file calls this with a
 * factory; the same assertions then run against memory and a real Redis.
 */
export function storeContract(name: string, setup: () => Promise<StoreUnderTest>, teardown: (subject: StoreUnderTest) => Promise<void>) {
  describe(`${name} store contract`, () => {
    let subject: StoreUnderTest;
    beforeEach(async () => {
      subject = await setup();
    });
    afterEach(async () => {
      await teardown(subject);
    });

    const record = (now: number, lifetime = 60): AccessTokenRecord => ({
      clientId: 'client-a',
      scope: ['read', 'write'],
      sub: 'alice',
      issuedAt: now,
      expiresAt: now + lifetime,
    });

    test('a saved access token is found under its hash, with every field', async () => {
      const hash = hashTokenValue(generateTokenValue());
      const saved = record(subject.now());
      await subject.store.saveAccessToken(hash, saved);
      await expect(subject.store.findAccessToken(hash)).resolves.toEqual(saved);
    });

    test('a token without a subject is found without one', async () => {
      const hash = hashTokenValue(generateTokenValue());
      const { sub: _omitted, ...withoutSub } = record(subject.now());
      await subject.store.saveAccessToken(hash, withoutSub);
      const found = await subject.store.findAccessToken(hash);
      expect(found).toEqual(withoutSub);
      expect(found).not.toHaveProperty('sub');
    });

    test('an unknown hash is not found', async () => {
      await expect(subject.store.findAccessToken(hashTokenValue('never-issued'))).resolves.toBeUndefined();
    });

    test('a revoked token is not found, and revoking reports whether it existed', async () => {
      const hash = hashTokenValue(generateTokenValue());
      await subject.store.saveAccessToken(hash, record(subject.now()));
      await expect(subject.store.revokeAccessToken(hash)).resolves.toBe(true);
      await expect(subject.store.findAccessToken(hash)).resolves.toBeUndefined();
      await expect(subject.store.revokeAccessToken(hash)).resolves.toBe(false);
    });

    test('a record is forgotten once it has expired', async () => {
      const hash = hashTokenValue(generateTokenValue());
      await subject.store.saveAccessToken(hash, record(subject.now(), 1));
      await expect(subject.store.findAccessToken(hash)).resolves.toBeDefined();
      await subject.advance(2);
      await expect(subject.store.findAccessToken(hash)).resolves.toBeUndefined();
    });

    test('a found record cannot be changed by the caller to change what is stored', async () => {
      const hash = hashTokenValue(generateTokenValue());
      await subject.store.saveAccessToken(hash, record(subject.now()));
      const found = (await subject.store.findAccessToken(hash)) as AccessTokenRecord;
      try {
        found.scope.push('admin');
      } catch {
        // frozen records refuse the change, which is as good
      }
      await expect(subject.store.findAccessToken(hash)).resolves.toMatchObject({ scope: ['read', 'write'] });
    });

    test('ping resolves while the store is reachable', async () => {
      await expect(subject.store.ping()).resolves.toBeUndefined();
    });

    authorizationContract(() => subject);
    deviceContract(() => subject);
    quotaContract(() => subject);
    attemptsContract(() => subject);
    replayContract(() => subject);
    signingKeysContract(() => subject);
    registeredClientsContract(() => subject);
  });
}
