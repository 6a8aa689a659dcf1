import { hash } from 'node:crypto';
import type { ClientCreation, RegisteredClientRecord, RegisteredClientStore } from '../store';
import type { RedisOAuthSettings } from './oauth';
import { redisQuotas } from './quotas';
import { evalScript } from './scripts';

/** KEYS: the client, the set of every client. ARGV: record, maxClients, the client's digest. */
const CREATE_CLIENT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'taken' end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 'full' end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[3])
return 'created'
`;

/** The record's registration token hash must still be ARGV[1] (RFC 7592: the token in hand is the current one). */
const TOKEN_CHECK = `
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current).registrationTokenHash ~= ARGV[1] then return 0 end
`;

/** KEYS: the client. ARGV: current token hash, new record. */
const REPLACE_CLIENT = `${TOKEN_CHECK}
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

/** KEYS: the client, the set of every client. ARGV: current token hash, the client's digest. */
const DELETE_CLIENT = `${TOKEN_CHECK}
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
`;

/**
 * Keys: `<prefix>{clients}:<digest of the client id>` → the record as JSON, with no expiry
 * (a registration lasts until it is deleted), and `<prefix>{clients}:all`, the set of those
 * digests, which bounds their number. The `{clients}` hash tag keeps them in one Redis Cluster
 * slot, so that one script checks the bound and saves. The per-address quotas are counted just
 * before the save, as the device requests' are (quotas.ts), and uncounted when it is refused.
 */
export function redisRegisteredClients(settings: RedisOAuthSettings): RegisteredClientStore {
  const { client, keyPrefix, run, evalRecorded } = settings;
  const quotas = redisQuotas(settings);
  const digest = (clientId: string) => hash('sha256', clientId, 'base64url');
  const clientKey = (clientId: string) => `${keyPrefix}{clients}:${digest(clientId)}`;
  const allKey = `${keyPrefix}{clients}:all`;

  return {
    async createClient(record, { maxClients, quotas: quotaList, quotaForgetAt }) {
      const clientId = record.metadata.client_id;
      const counted = `client:${clientId}`;
      await quotas.admit(quotaList, counted, quotaForgetAt, false);
      const keys = [clientKey(clientId), allKey];
      const outcome = (await run(() => evalScript(client, CREATE_CLIENT, keys, [JSON.stringify(record), maxClients, digest(clientId)]))) as ClientCreation;
      // A registration refused because the server is full counts against no quota (as in the
      // memory store). 'taken' is retried under another id by the caller: the count stays, and
      // is never given back for a member another registration may hold.
      if (outcome === 'full') await quotas.uncount(quotaList, counted);
      return outcome;
    },
    async findClient(clientId) {
      const value = await run(() => client.get(clientKey(clientId)));
      return value === null ? undefined : (JSON.parse(value) as RegisteredClientRecord);
    },
    async replaceClient(currentTokenHash, record) {
      return (await evalRecorded(REPLACE_CLIENT, [clientKey(record.metadata.client_id)], [currentTokenHash, JSON.stringify(record)])) === 1;
    },
    async deleteClient(clientId, currentTokenHash) {
      return (await evalRecorded(DELETE_CLIENT, [clientKey(clientId), allKey], [currentTokenHash, digest(clientId)])) === 1;
    },
  };
}
