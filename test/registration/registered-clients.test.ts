import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { clientRegistry } from '../../lib/clients/registry';
import { withRegisteredClients } from '../../lib/registration/registered-clients';
import { memoryStore } from '../../lib/stores/memory/store';
import type { RegisteredClientRecord, RegisteredClientStore } from '../../lib/stores/store';

let publicJwk: JWK;
beforeAll(async () => {
  publicJwk = { ...(await exportJWK((await generateKeyPair('ES256')).publicKey)), kid: 'k1', alg: 'ES256' };
});

/** An id of the shape registration hands out (lib/registration/client-id.ts). */
const CLIENT_ID = 'Registered_client_id01';
const record = (scope: string, registrationTokenHash: string, clientId = CLIENT_ID): RegisteredClientRecord => ({
  metadata: { client_id: clientId, client_id_issued_at: 1, grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope, jwks: { keys: [publicJwk] } },
  registrationTokenHash,
});

describe('registered clients seen by the server', () => {
  const store = memoryStore();
  const registered = store.registeredClients as RegisteredClientStore;
  const clients = withRegisteredClients(clientRegistry([], new Set(['client_credentials'])), registered, ['read', 'write']);
  afterAll(() => store.close());

  test('a record is checked once: lookups give the same client, so that its inline keys are imported once', async () => {
    await registered.createClient(record('read', 'token-1'), { maxClients: 10, quotas: [], quotaForgetAt: 0 });
    const first = await clients.find(CLIENT_ID);
    expect(first?.scope).toEqual(['read']);
    expect(await clients.find(CLIENT_ID)).toBe(first);
  });

  test('an update (RFC 7592 §2.2, a new registration token) is seen at once, and a deletion too', async () => {
    expect(await registered.replaceClient('token-1', record('read write', 'token-2'))).toBe(true);
    expect((await clients.find(CLIENT_ID))?.scope).toEqual(['read', 'write']);
    expect(await registered.deleteClient(CLIENT_ID, 'token-2')).toBe(true);
    expect(await clients.find(CLIENT_ID)).toBeUndefined();
  });

  test('an id registration could not have handed out (a metadata document URL, any other shape) costs no store read', async () => {
    const reads: string[] = [];
    const counting: RegisteredClientStore = { ...registered, findClient: async (clientId) => (reads.push(clientId), registered.findClient(clientId)) };
    const counted = withRegisteredClients(clientRegistry([], new Set(['client_credentials'])), counting, ['read']);
    await registered.createClient(record('read', 'token-3', 'https://agent.example/client.json'), { maxClients: 10, quotas: [], quotaForgetAt: 0 });
    expect(await counted.find('https://agent.example/client.json')).toBeUndefined();
    expect(await counted.find('unknown')).toBeUndefined();
    expect(reads).toEqual([]);
    expect(await counted.find('Unknown_client_id_0123')).toBeUndefined();
    expect(reads).toEqual(['Unknown_client_id_0123']);
  });
});
