import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { clientRegistry } from '../../lib/clients/registry';
import { withRegisteredClients } from '../../lib/registration/registered-clients';
import { memoryStore } from '../../lib/stores/memory/store';
import type { RegisteredClientRecord, RegisteredClientStore } from '../../lib/stores/store';

let publicJwk: JWK;
beforeAll(async () => {
  publicJwk = { ...(await exportJWK((await generateKeyPair('ES256')).publicKey)), kid: 'k1', alg: 'ES256' };
});

const record = (scope: string, registrationTokenHash: string): RegisteredClientRecord => ({
  metadata: { client_id: 'registered', client_id_issued_at: 1, grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope, jwks: { keys: [publicJwk] } },
  registrationTokenHash,
});

describe('registered clients seen by the server', () => {
  const store = memoryStore();
  const registered = store.registeredClients as RegisteredClientStore;
  const clients = withRegisteredClients(clientRegistry([], new Set(['client_credentials'])), registered, ['read', 'write']);
  afterAll(() => store.close());

  test('a record is checked once: lookups give the same client, so that its inline keys are imported once', async () => {
    await registered.createClient(record('read', 'token-1'), { maxClients: 10, quotas: [], quotaForgetAt: 0 });
    const first = await clients.find('registered');
    expect(first?.scope).toEqual(['read']);
    expect(await clients.find('registered')).toBe(first);
  });

  test('an update (RFC 7592 §2.2, a new registration token) is seen at once, and a deletion too', async () => {
    expect(await registered.replaceClient('token-1', record('read write', 'token-2'))).toBe(true);
    expect((await clients.find('registered'))?.scope).toEqual(['read', 'write']);
    expect(await registered.deleteClient('registered', 'token-2')).toBe(true);
    expect(await clients.find('registered')).toBeUndefined();
  });
});
