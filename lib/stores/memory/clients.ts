import type { RegisteredClientRecord, RegisteredClientStore } from '../store';
import type { MemoryQuotas } from './quotas';

/**
 * The memory store's registered clients (RFC 7591): kept until deleted, at most `maxClients`.
 * Each operation runs without yielding, so each is atomic.
 */
export function memoryRegisteredClients(quotas: MemoryQuotas): RegisteredClientStore & { clear(): void } {
  const clients = new Map<string, RegisteredClientRecord>();
  // Records go in and out as copies: no caller can change what is kept.
  const copyOf = (record: RegisteredClientRecord): RegisteredClientRecord => structuredClone(record);

  return {
    async createClient(record, { maxClients, quotas: quotaList, quotaForgetAt }) {
      const clientId = record.metadata.client_id;
      if (clients.has(clientId)) return 'taken';
      if (clients.size >= maxClients) return 'full';
      quotas.admit(quotaList, `client:${clientId}`, quotaForgetAt);
      clients.set(clientId, copyOf(record));
      return 'created';
    },
    async findClient(clientId) {
      const record = clients.get(clientId);
      return record === undefined ? undefined : copyOf(record);
    },
    async replaceClient(currentTokenHash, record) {
      const clientId = record.metadata.client_id;
      if (clients.get(clientId)?.registrationTokenHash !== currentTokenHash) return false;
      clients.set(clientId, copyOf(record));
      return true;
    },
    async deleteClient(clientId, currentTokenHash) {
      if (clients.get(clientId)?.registrationTokenHash !== currentTokenHash) return false;
      return clients.delete(clientId);
    },
    clear: () => clients.clear(),
  };
}
