import { QuotaExceededError } from '../../lib/errors';
import { quotaKey, type AuthorizationTransactionRecord, type DeviceCodeRecord, type Quota } from '../../lib/stores/store';
import { generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';
import type { StoreUnderTest } from './store-contract';

/** Quotas on what one party can make the store keep (part of the store contract). */
export function quotaContract(current: () => StoreUnderTest) {
  const store = () => current().store;
  const now = () => current().now();
  const newHash = () => hashTokenValue(generateTokenValue());
  const quota = (max: number): Quota => ({ key: quotaKey('test', generateTokenValue()), max });

  const device = (): DeviceCodeRecord => ({ clientId: 'tv', scope: ['read'], userCodeHash: newHash(), issuedAt: now(), expiresAt: now() + 60, interval: 5 });
  const transaction = (lifetime = 60): AuthorizationTransactionRecord => ({
    clientId: 'spa',
    sub: 'alice',
    scope: ['read'],
    redirectUri: 'https://app.example/cb',
    redirectUriInRequest: true,
    csrfTokenHash: newHash(),
    expiresAt: now() + lifetime,
  });

  describe('quotas', () => {
    test('a device request is refused once any of its quotas holds `max` live ones, saving nothing', async () => {
      const [perClient, perAddress] = [quota(3), quota(2)];
      await expect(store().saveDeviceCode(newHash(), device(), [perClient, perAddress])).resolves.toBe(true);
      await expect(store().saveDeviceCode(newHash(), device(), [perClient, perAddress])).resolves.toBe(true);
      const refused = device();
      const error = await store().saveDeviceCode(newHash(), refused, [perClient, perAddress]).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(QuotaExceededError);
      expect(error).toMatchObject({ code: 'temporarily_unavailable', status: 429 });
      // Retry-After: when the oldest counted request is forgotten (its expiry and the memory after it).
      const retryAfter = Number((error as QuotaExceededError).headers['Retry-After']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60 + 600);
      await expect(store().findDeviceCodeByUserCode(refused.userCodeHash)).resolves.toBeUndefined();
      // The refused request was not counted: the per-client quota still has one place.
      await expect(store().saveDeviceCode(newHash(), device(), [perClient, quota(1)])).resolves.toBe(true);
      await expect(store().saveDeviceCode(newHash(), device(), [perClient, quota(1)])).rejects.toBeInstanceOf(QuotaExceededError);
    });

    test('requests saved in parallel cannot exceed a quota', async () => {
      const shared = quota(3);
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => store().saveDeviceCode(newHash(), device(), [shared])));
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
      for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(QuotaExceededError);
    });

    test('a retry of the same device code (after a user code collision) is not counted twice', async () => {
      const single = quota(1);
      const deviceCodeHash = newHash();
      const first = device();
      await expect(store().saveDeviceCode(newHash(), first, [quota(5)])).resolves.toBe(true);
      await expect(store().saveDeviceCode(deviceCodeHash, { ...device(), userCodeHash: first.userCodeHash }, [single])).resolves.toBe(false);
      await expect(store().saveDeviceCode(deviceCodeHash, device(), [single])).resolves.toBe(true);
    });

    test('a pushed request counts until it is taken or expires; a refused one is not saved', async () => {
      const perClient = quota(2);
      const record = (lifetime = 60) => ({ clientId: 'spa', params: { response_type: 'code' }, expiresAt: now() + lifetime });
      const taken = newHash();
      await store().savePushedRequest(taken, record(), [perClient]);
      await store().savePushedRequest(newHash(), record(1), [perClient]);
      const refused = newHash();
      await expect(store().savePushedRequest(refused, record(), [perClient])).rejects.toBeInstanceOf(QuotaExceededError);
      await expect(store().takePushedRequest(refused, 'spa')).resolves.toBeUndefined();
      await expect(store().takePushedRequest(taken, 'spa')).resolves.toBeDefined();
      await expect(store().savePushedRequest(newHash(), record(), [perClient])).resolves.toBeUndefined();
      await expect(store().savePushedRequest(newHash(), record(), [perClient])).rejects.toBeInstanceOf(QuotaExceededError);
      // The one-second request expires and frees its place.
      await current().advance(2);
      await expect(store().savePushedRequest(newHash(), record(), [perClient])).resolves.toBeUndefined();
    });

    test('a pending transaction counts until it is taken or expires', async () => {
      const perUser = quota(2);
      const taken = newHash();
      await store().saveAuthorizationTransaction(taken, transaction(), [perUser]);
      await store().saveAuthorizationTransaction(newHash(), transaction(1), [perUser]);
      await expect(store().saveAuthorizationTransaction(newHash(), transaction(), [perUser])).rejects.toBeInstanceOf(QuotaExceededError);
      await expect(store().takeAuthorizationTransaction(taken)).resolves.toBeDefined();
      const next = newHash();
      await store().saveAuthorizationTransaction(next, transaction(), [perUser]);
      await expect(store().takeAuthorizationTransaction(next)).resolves.toBeDefined();
      await expect(store().saveAuthorizationTransaction(newHash(), transaction(), [perUser])).resolves.toBeUndefined();
      await expect(store().saveAuthorizationTransaction(newHash(), transaction(), [perUser])).rejects.toBeInstanceOf(QuotaExceededError);
      // The one-second transaction expires and frees its place.
      await current().advance(2);
      await expect(store().saveAuthorizationTransaction(newHash(), transaction(), [perUser])).resolves.toBeUndefined();
    });
  });
}
