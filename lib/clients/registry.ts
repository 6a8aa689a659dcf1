import { ClientMetadataError, normalizeClient, type Client, type ClientMetadata } from './client';

/** For apps that keep clients in their own database: resolve a client_id to its metadata. */
export type ClientLookup = (clientId: string) => Promise<ClientMetadata | undefined | null>;

export interface ClientRegistry {
  find(clientId: string): Promise<Client | undefined>;
  /** Every scope of the static clients; unknown with a lookup function. */
  knownScopes?: readonly string[];
}

/**
 * Static clients are checked and hashed once, at start-up; clients from a lookup function are
 * checked on every lookup (their secrets must already be hashes).
 */
export function clientRegistry(source: readonly ClientMetadata[] | ClientLookup, enabledGrantTypes: ReadonlySet<string>): ClientRegistry {
  if (typeof source === 'function') {
    return {
      async find(clientId) {
        const metadata = await source(clientId);
        if (metadata === undefined || metadata === null) return undefined;
        const client = normalizeClient(metadata, { hashPlaintextSecret: false });
        // A lookup that answers with another client's record must not authenticate as it.
        return client.id === clientId ? client : undefined;
      },
    };
  }
  if (!Array.isArray(source)) {
    throw new ClientMetadataError('`clients` must be an array of client metadata or an async lookup function');
  }
  const clients = new Map<string, Client>();
  for (const metadata of source) {
    const client = normalizeClient(metadata, { hashPlaintextSecret: true });
    if (clients.has(client.id)) throw new ClientMetadataError(`client ${JSON.stringify(client.id)} is listed twice`);
    const disabled = client.grantTypes.filter((type) => !enabledGrantTypes.has(type));
    if (disabled.length > 0) {
      throw new ClientMetadataError(
        `client ${JSON.stringify(client.id)}: grant_types ${disabled.map((t) => JSON.stringify(t)).join(', ')} not enabled in \`grants\``,
      );
    }
    clients.set(client.id, client);
  }
  const knownScopes = [...new Set([...clients.values()].flatMap((client) => client.scope))].sort();
  // One settled promise per client, made once: a lookup of a static client allocates nothing.
  const found = new Map([...clients].map(([id, client]) => [id, Promise.resolve<Client | undefined>(client)]));
  const notFound = Promise.resolve(undefined);
  return { find: (clientId) => found.get(clientId) ?? notFound, knownScopes };
}
