import type { Router } from 'express';
import { SecretVerifier } from '../clients/secrets';
import { registrationEndpoints } from '../endpoints/registration';
import { jsonBodyReader } from '../http/json-body';
import { methodNotAllowed } from '../http/method-not-allowed';
import type { ServerSettings } from '../options/server';
import type { RegisteredClientStore } from '../stores/store';
import { storeForgettingDeletedClients, withRegisteredClients } from './registered-clients';

/**
 * With the `registration` option: the clients include those that registered themselves, and
 * the store forgets the tokens of those that were deleted (registered-clients.ts).
 */
export function withRegistration(settings: ServerSettings): ServerSettings {
  const { registration, store } = settings;
  if (registration === undefined) return settings;
  const registered = store.registeredClients as RegisteredClientStore;
  return {
    ...settings,
    store: storeForgettingDeletedClients(store, registered),
    clients: withRegisteredClients(settings.clients, registered, registration.scopes),
  };
}

/** RFC 7591 §3 at `/register`, RFC 7592 at `/register/<client_id>` (the `registration_client_uri`). */
export function mountRegistration(router: Router, settings: ServerSettings): void {
  const { registration, store, issuer, realm, clients, clock, limits, onError } = settings;
  if (registration === undefined) return;
  const endpoints = registrationEndpoints({
    issuer,
    realm,
    clients,
    store: store.registeredClients as RegisteredClientStore,
    options: registration,
    clock,
    readJson: jsonBodyReader(limits.maxBodySize),
    secrets: new SecretVerifier(),
    onError,
  });
  router.post('/register', endpoints.register);
  router.all('/register', methodNotAllowed('POST'));
  router.get('/register/:clientId', endpoints.read);
  router.put('/register/:clientId', endpoints.replace);
  router.delete('/register/:clientId', endpoints.remove);
  router.all('/register/:clientId', methodNotAllowed('GET', 'PUT', 'DELETE'));
}
