import { ClientMetadataDocumentError } from '../../lib/client-id-metadata/client-id-url';
import { withMetadataDocumentClients, type MetadataDocumentClients } from '../../lib/client-id-metadata/registry';
import { clientRegistry } from '../../lib/clients/registry';
import { guardedFetch, type GuardedFetch, type Resolver } from '../../lib/http/guarded-fetch';
import { listenLocal, type LocalServer } from '../helpers/local-server';

const RULES = { grantTypes: ['authorization_code', 'refresh_token'], scopes: ['read'], defaultScopes: ['read'] };
const CACHE = { maxEntries: 10, minSeconds: 60, maxSeconds: 3600, failureSeconds: 10 };
const settingsWith = (fetcher: GuardedFetch): MetadataDocumentClients => ({ fetcher, rules: RULES, cache: CACHE, maxDocumentBytes: 5120, clock: () => 1_000_000 });

/** A host name that resolves to `address`, as a hostile DNS answer would: no real DNS is asked. */
const resolverTo = (address: string): Resolver => async () => [{ address, family: address.includes(':') ? 6 : 4 }];

let server: LocalServer;
beforeAll(async () => {
  server = await listenLocal((_req, res) => res.end('{}'));
});
afterAll(() => server.close());

async function refusal(promise: Promise<unknown>): Promise<ClientMetadataDocumentError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ClientMetadataDocumentError);
  return error as ClientMetadataDocumentError;
}

describe('withMetadataDocumentClients: documents are fetched with the guarded fetch', () => {
  test.each(['10.0.0.1', '127.0.0.1', '169.254.169.254', '192.168.1.10', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1'])(
    'a document host name that resolves to %s is refused before any connection, even on the port of a listening server',
    async (address) => {
      const clients = withMetadataDocumentClients(clientRegistry([], new Set()), settingsWith(guardedFetch({ resolver: resolverTo(address) })));
      const error = await refusal(clients.find(`https://cimd.example.test:${server.port}/client.json`));
      expect(error.description).toBe("The client's metadata document cannot be used: the host of the client_id is not on a public address.");
      expect(server.connections()).toBe(0);
    },
  );

  test('a host name that does not resolve', async () => {
    const failing: Resolver = async () => {
      throw new Error('ENOTFOUND');
    };
    const clients = withMetadataDocumentClients(clientRegistry([], new Set()), settingsWith(guardedFetch({ resolver: failing })));
    expect((await refusal(clients.find('https://nowhere.example.test/client.json'))).problem).toBe('the host name of the client_id could not be resolved');
  });

  test('the clients of the base registry are found first, and an id that is no URL is looked up nowhere else: nothing is fetched', async () => {
    const fetches: string[] = [];
    const recording: GuardedFetch = {
      getJson: () => Promise.reject(new Error('unused')),
      postForm: () => Promise.reject(new Error('unused')),
      getJsonDocument: (url) => {
        fetches.push(String(url));
        return Promise.reject(new Error('unexpected fetch'));
      },
    };
    const staticId = 'https://static.example/client.json';
    const base = clientRegistry([{ client_id: staticId, redirect_uris: ['https://static.example/cb'], token_endpoint_auth_method: 'none' }], new Set(['authorization_code']));
    const clients = withMetadataDocumentClients(base, settingsWith(recording));
    expect((await clients.find(staticId))?.metadataDocumentHost).toBeUndefined();
    expect(await clients.find('plain-client-id')).toBeUndefined();
    expect(await clients.find('urn:example:client')).toBeUndefined();
    expect(fetches).toEqual([]);
  });

  test('the scopes such clients may have are among the scopes the server lists', () => {
    const base = clientRegistry([{ client_id: 'svc', client_secret: 'x', grant_types: ['client_credentials'], scope: 'admin' }], new Set(['client_credentials']));
    expect(withMetadataDocumentClients(base, settingsWith(guardedFetch())).knownScopes).toEqual(['admin', 'read']);
  });
});
