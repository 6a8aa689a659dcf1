import { randomBytes } from 'node:crypto';
import { QuotaExceededError } from '../../lib/errors';
import { quotaKey, type RegisteredClientRecord, type RegisteredClientStore } from '../../lib/stores/store';
import type { StoreUnderTest } from './store-contract';

/** Registered clients (RFC 7591, RFC 7592): part of the store contract. */
export function registeredClientsContract(current: () => StoreUnderTest) {
  const clients = () => current().store.registeredClients as RegisteredClientStore;
  const newId = () => randomBytes(16).toString('base64url');
  const record = (clientId = newId(), tokenHash = newId()): RegisteredClientRecord => ({
    metadata: { client_id: clientId, client_id_issued_at: current().now(), grant_types: ['client_credentials'], client_name: 'Reporting' },
    registrationTokenHash: tokenHash,
    secretHash: 'sha256$salt$hash',
  });
  const limits = (maxClients = 1e6, quotas: { key: string; max: number }[] = []) => ({ maxClients, quotas, quotaForgetAt: current().now() + 60 });

  describe('registered clients', () => {
    test('a created client is found with every field, until it is deleted', async () => {
      const created = record();
      await expect(clients().createClient(created, limits())).resolves.toBe('created');
      await expect(clients().findClient(created.metadata.client_id)).resolves.toEqual(created);
      await expect(clients().findClient(newId())).resolves.toBeUndefined();
    });

    test('a client does not expire', async () => {
      const created = record();
      await clients().createClient(created, limits());
      await current().advance(2);
      await expect(clients().findClient(created.metadata.client_id)).resolves.toEqual(created);
    });

    test('an id is registered once: a second create with it changes nothing', async () => {
      const first = record();
      await clients().createClient(first, limits());
      const second = record(first.metadata.client_id);
      await expect(clients().createClient(second, limits())).resolves.toBe('taken');
      await expect(clients().findClient(first.metadata.client_id)).resolves.toEqual(first);
    });

    test('a found record cannot be changed by the caller to change what is kept', async () => {
      const created = record();
      await clients().createClient(created, limits());
      const found = (await clients().findClient(created.metadata.client_id)) as RegisteredClientRecord;
      try {
        (found.metadata as Record<string, unknown>).client_name = 'changed';
      } catch {
        // a frozen record refuses the change, which is as good
      }
      await expect(clients().findClient(created.metadata.client_id)).resolves.toMatchObject({ metadata: { client_name: 'Reporting' } });
    });

    test('replace and delete happen only with the current registration token hash', async () => {
      const created = record(newId(), 'token-1');
      const { client_id: clientId } = created.metadata;
      await clients().createClient(created, limits());
      const replacement: RegisteredClientRecord = { metadata: { client_id: clientId, client_name: 'Renamed' }, registrationTokenHash: 'token-2' };
      await expect(clients().replaceClient('wrong', replacement)).resolves.toBe(false);
      await expect(clients().replaceClient('token-1', replacement)).resolves.toBe(true);
      await expect(clients().findClient(clientId)).resolves.toEqual(replacement);
      // The old token is spent: neither a second replace nor a delete works with it.
      await expect(clients().replaceClient('token-1', created)).resolves.toBe(false);
      await expect(clients().deleteClient(clientId, 'token-1')).resolves.toBe(false);
      await expect(clients().deleteClient(clientId, 'token-2')).resolves.toBe(true);
      await expect(clients().findClient(clientId)).resolves.toBeUndefined();
      await expect(clients().deleteClient(clientId, 'token-2')).resolves.toBe(false);
      await expect(clients().replaceClient('token-2', replacement)).resolves.toBe(false);
      await expect(clients().findClient(clientId)).resolves.toBeUndefined();
    });

    test('of parallel replaces with one token, exactly one wins', async () => {
      const created = record(newId(), 'token-1');
      await clients().createClient(created, limits());
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => clients().replaceClient('token-1', { metadata: { client_id: created.metadata.client_id }, registrationTokenHash: `next-${i}` })),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(1);
    });

    test('at most maxClients are kept; a deleted client frees its place', async () => {
      // Each test has a store of its own: the count covers every client it keeps.
      const max = 3;
      const kept: RegisteredClientRecord[] = [];
      for (let i = 0; i < max; i++) {
        kept.push(record(newId(), `token-${i}`));
        await expect(clients().createClient(kept[i], limits(max))).resolves.toBe('created');
      }
      await expect(clients().createClient(record(), limits(max))).resolves.toBe('full');
      await clients().deleteClient(kept[0].metadata.client_id, 'token-0');
      await expect(clients().createClient(record(), limits(max))).resolves.toBe('created');
      await expect(clients().createClient(record(), limits(max))).resolves.toBe('full');
    });

    test('parallel creates cannot exceed maxClients', async () => {
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => clients().createClient(record(), limits(4))));
      expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(4);
      expect(outcomes.filter((outcome) => outcome === 'full')).toHaveLength(6);
    });

    test('a per-address quota refuses past its max within its window, saving nothing', async () => {
      const perAddress = { key: quotaKey('registration:address', newId()), max: 2 };
      await expect(clients().createClient(record(), limits(1e6, [perAddress]))).resolves.toBe('created');
      await expect(clients().createClient(record(), limits(1e6, [perAddress]))).resolves.toBe('created');
      const refused = record();
      await expect(clients().createClient(refused, limits(1e6, [perAddress]))).rejects.toBeInstanceOf(QuotaExceededError);
      await expect(clients().findClient(refused.metadata.client_id)).resolves.toBeUndefined();
      await expect(clients().createClient(record(), limits(1e6, [{ ...perAddress, key: quotaKey('registration:address', newId()) }]))).resolves.toBe('created');
    });
  });
}
