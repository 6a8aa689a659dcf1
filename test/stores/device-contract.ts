import type { DeviceCodeRecord, Store } from '../../lib/stores/store';
import { generateGrantId, generateTokenValue, hashTokenValue } from '../../lib/tokens/token-value';
import type { StoreUnderTest } from './store-contract';

/** The Store operations of the device authorization grant, RFC 8628 (part of the store contract). */
export function deviceContract(current: () => StoreUnderTest) {
  const store = () => current().store;
  const now = () => current().now();

  const pending = () => savePendingDevice(store(), now());
  const approval = () => ({ approved: true as const, sub: 'alice', scope: ['read'], grantId: generateGrantId() });

  describe('device codes', () => {
    test('a pending request is found by its user code until it is decided; a user code names one request at a time', async () => {
      const { deviceCodeHash, record } = await pending();
      await expect(store().findDeviceCodeByUserCode(record.userCodeHash)).resolves.toEqual({ deviceCodeHash, record });
      await expect(store().saveDeviceCode(hashTokenValue(generateTokenValue()), record)).resolves.toBe(false);
      await expect(store().decideDeviceCode(deviceCodeHash, { approved: false })).resolves.toBe(true);
      await expect(store().findDeviceCodeByUserCode(record.userCodeHash)).resolves.toBeUndefined();
      await expect(store().findDeviceCodeByUserCode(hashTokenValue('unknown'))).resolves.toBeUndefined();
    });

    test('a request is decided once', async () => {
      const { deviceCodeHash } = await pending();
      const decisions = await Promise.all([store().decideDeviceCode(deviceCodeHash, approval()), store().decideDeviceCode(deviceCodeHash, { approved: false })]);
      expect(decisions.sort()).toEqual([false, true]);
      await expect(store().decideDeviceCode(hashTokenValue('unknown'), approval())).resolves.toBe(false);
    });

    test('polls: pending, slow_down within the interval (which then grows by 5), pending again after it', async () => {
      const { deviceCodeHash, record } = await pending();
      const t = now();
      await expect(store().pollDeviceCode(deviceCodeHash, 'tv', t)).resolves.toEqual({ record, status: 'pending' });
      await expect(store().pollDeviceCode(deviceCodeHash, 'tv', t + 4)).resolves.toEqual({ record: { ...record, interval: 10 }, status: 'slow_down' });
      await expect(store().pollDeviceCode(deviceCodeHash, 'tv', t + 13)).resolves.toMatchObject({ status: 'slow_down', record: { interval: 15 } });
      await expect(store().pollDeviceCode(deviceCodeHash, 'tv', t + 28)).resolves.toMatchObject({ status: 'pending', record: { interval: 15 } });
    });

    test('an approved request is handed out to exactly one of two racing polls, then is used', async () => {
      const { deviceCodeHash, record } = await pending();
      const decision = approval();
      await store().decideDeviceCode(deviceCodeHash, decision);
      const polls = await Promise.all([store().pollDeviceCode(deviceCodeHash, 'tv', now()), store().pollDeviceCode(deviceCodeHash, 'tv', now())]);
      const statuses = polls.map((poll) => poll?.status).sort();
      expect(statuses).toEqual(['approved', 'used']);
      expect(polls.find((poll) => poll?.status === 'approved')).toEqual({ record, status: 'approved', decision });
      await expect(store().pollDeviceCode(deviceCodeHash, 'tv', now() + 100)).resolves.toMatchObject({ status: 'used' });
    });

    test("another client's poll finds nothing and changes nothing", async () => {
      const { deviceCodeHash } = await pending();
      await store().decideDeviceCode(deviceCodeHash, approval());
      await expect(store().pollDeviceCode(deviceCodeHash, 'other', now())).resolves.toBeUndefined();
      await expect(store().pollDeviceCode(deviceCodeHash, 'tv', now())).resolves.toMatchObject({ status: 'approved' });
    });

    test('a denied request polls as denied; an unknown one is not found', async () => {
      const { deviceCodeHash } = await pending();
      await store().decideDeviceCode(deviceCodeHash, { approved: false });
      await expect(store().pollDeviceCode(deviceCodeHash, 'tv', now())).resolves.toMatchObject({ status: 'denied' });
      await expect(store().pollDeviceCode(hashTokenValue('unknown'), 'tv', now())).resolves.toBeUndefined();
    });
  });
}

/** A new pending request, saved; returns its hashes and record. */
export async function savePendingDevice(store: Store, now: number, lifetime = 60) {
  const deviceCodeHash = hashTokenValue(generateTokenValue());
  const record: DeviceCodeRecord = {
    clientId: 'tv',
    scope: ['read'],
    userCodeHash: hashTokenValue(generateTokenValue()),
    issuedAt: now,
    expiresAt: now + lifetime,
    interval: 5,
  };
  await expect(store.saveDeviceCode(deviceCodeHash, record)).resolves.toBe(true);
  return { deviceCodeHash, record };
}
