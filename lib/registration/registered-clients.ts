import { normalizeClient, type Client, type ClientMetadata } from '../clients/client';
import type { ClientRegistry } from '../clients/registry';
import type { RegisteredClientRecord, RegisteredClientStore, Store } from '../stores/store';
import { setBounded } from '../bounded-map';
import { mayBeRegisteredClientId } from './client-id';

/** Registered clients kept checked in memory (a few KB each at most). */
const CLIENTS_KEPT = 1000;

/** The `Client` the server uses for a registered client's record. */
export function registeredClient(record: RegisteredClientRecord): Client {
  const { metadata, secretHash } = record;
  return Object.freeze({ ...normalizeClient(clientMetadataOf(metadata, secretHash), { hashPlaintextSecret: false }), registered: true });
}

/**
 * The fields of checked RFC 7591 metadata (a registration's, or a Client ID Metadata
 * Document's) that make a client here; the rest is kept only to be shown back.
 */
export function clientMetadataOf(metadata: Readonly<Record<string, unknown>> & { client_id: string }, secretHash?: string): ClientMetadata {
  return {
    client_id: metadata.client_id,
    ...(secretHash !== undefined && { client_secret: secretHash }),
    ...(typeof metadata.client_name === 'string' && { client_name: metadata.client_name }),
    grant_types: metadata.grant_types as string[],
    redirect_uris: (metadata.redirect_uris as string[] | undefined) ?? [],
    ...(typeof metadata.scope === 'string' && { scope: metadata.scope }),
    token_endpoint_auth_method: metadata.token_endpoint_auth_method as ClientMetadata['token_endpoint_auth_method'],
    // RFC 7523 §2.2: the keys of a private_key_jwt client (kept for no other method).
    ...(metadata.token_endpoint_auth_method === 'private_key_jwt' && metadata.jwks !== undefined && { jwks: metadata.jwks as ClientMetadata['jwks'] }),
    ...(metadata.token_endpoint_auth_method === 'private_key_jwt' && typeof metadata.jwks_uri === 'string' && { jwks_uri: metadata.jwks_uri }),
    ...(typeof metadata.require_pushed_authorization_requests === 'boolean' && { require_pushed_authorization_requests: metadata.require_pushed_authorization_requests }),
    ...(typeof metadata.dpop_bound_access_tokens === 'boolean' && { dpop_bound_access_tokens: metadata.dpop_bound_access_tokens }),
  };
}

/**
 * The clients the server knows: the static ones (or the host app's lookup) first, then those
 * that registered themselves. A registered client cannot shadow a static one: the static
 * client is found first, and registration never hands out an id that `base` knows.
 */
export function withRegisteredClients(base: ClientRegistry, store: RegisteredClientStore, registrableScopes: readonly string[]): ClientRegistry {
  // Each record is checked once, not on every request, and its Client keeps its identity, so that
  // its inline keys are imported once (lib/assertions/key-sets.ts). The registration access token
  // changes with every update (RFC 7592 §2.2): a record with the same one is the same record.
  const made = new Map<string, Client>();
  const findRegistered = async (clientId: string) => {
    if (!mayBeRegisteredClientId(clientId)) return undefined;
    const record = await store.findClient(clientId);
    if (record === undefined) return undefined;
    const version = `${record.registrationTokenHash}:${clientId}`;
    const known = made.get(version);
    if (known !== undefined) return known;
    const client = registeredClient(record);
    setBounded(made, CLIENTS_KEPT, version, client);
    return client;
  };
  return {
    find: (clientId) => base.find(clientId).then((client) => client ?? findRegistered(clientId)),
    ...(base.knownScopes !== undefined && { knownScopes: [...new Set([...base.knownScopes, ...registrableScopes])].sort() }),
  };
}

/**
 * RFC 7592 §2.3: once a client is deleted, its tokens and grants stop working. The store is
 * seen through this view by every reader of tokens (requireToken, introspection, revocation,
 * the grants): a token of a registered client (`registeredClient` in its record) is found only
 * while the client is. That costs one read of the client per look-up of such a token; tokens
 * of static clients cost nothing more. Codes and refresh tokens need no such check: only their
 * client can use them or introspect them, and a deleted client is found nowhere.
 */
export function storeForgettingDeletedClients(store: Store, clients: RegisteredClientStore): Store {
  const overrides: Partial<Store> = {
    findAccessToken: async (tokenHash) => {
      const record = await store.findAccessToken(tokenHash);
      return record?.registeredClient === true && (await clients.findClient(record.clientId)) === undefined ? undefined : record;
    },
  };
  // A proxy, not a copy: every other operation, those a custom store or a later version adds included, is the store's own.
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Store];
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      if (!bound.has(property)) bound.set(property, value.bind(target));
      return bound.get(property);
    },
  });
}
