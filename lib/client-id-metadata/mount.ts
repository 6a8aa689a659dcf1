import { guardedFetch } from '../http/guarded-fetch';
import type { ServerSettings } from '../options/server';
import { withMetadataDocumentClients } from './registry';

/**
 * With the `clientIdMetadataDocuments` option: the clients include those whose client_id is
 * the URL of their metadata document, after every other client (registry.ts). The documents
 * are fetched with a fetch of their own, limited to the document size the option allows.
 */
export function withClientIdMetadataDocuments(settings: ServerSettings): ServerSettings {
  const options = settings.clientIdMetadataDocuments;
  if (options === undefined) return settings;
  const fetcher = guardedFetch({ allowHttpLoopback: options.allowHttpLoopback, timeoutMs: options.fetchTimeoutMs, maxBodyBytes: options.maxDocumentBytes });
  return {
    ...settings,
    clients: withMetadataDocumentClients(settings.clients, { fetcher, rules: options.rules, cache: options.cache, maxDocumentBytes: options.maxDocumentBytes, clock: settings.clock }),
  };
}
