import type { Client } from '../clients/client';
import type { ClientRegistry } from '../clients/registry';
import type { Clock } from '../clock';
import { GuardedFetchError, type FetchedJson, type GuardedFetch, type GuardedFetchErrorCode } from '../http/guarded-fetch';
import type { MetadataRules } from '../registration/metadata';
import { ClientMetadataDocumentError, metadataDocumentUrl } from './client-id-url';
import { clientOfMetadataDocument } from './document';
import { documentCache, type DocumentCacheLimits } from './document-cache';

export interface MetadataDocumentClients {
  /** The one fetch for documents: https only, public addresses only, no redirects, size and time limits. */
  fetcher: GuardedFetch;
  /** The grant types and scopes such a client may have. */
  rules: MetadataRules;
  cache: DocumentCacheLimits;
  /** The largest document, in bytes: the fetcher's limit, named in the error. */
  maxDocumentBytes: number;
  clock: Clock;
}

/**
 * The clients the server knows, and besides them those whose client_id is the URL of a Client
 * ID Metadata Document: the clients of `base` (static ones, the host's lookup, registered ones)
 * are found first, so a document never stands for one of them; a client_id that is no such URL
 * is looked up nowhere else. A document that cannot be used is a `ClientMetadataDocumentError`.
 */
export function withMetadataDocumentClients(base: ClientRegistry, settings: MetadataDocumentClients): ClientRegistry {
  const fetchDocument = async (url: URL): Promise<FetchedJson> => {
    try {
      return await settings.fetcher.getJsonDocument(url);
    } catch (error) {
      if (error instanceof GuardedFetchError) throw new ClientMetadataDocumentError(fetchProblem(error, settings.maxDocumentBytes), { cause: error });
      throw error;
    }
  };
  const cache = documentCache<Client>(fetchDocument, (url, json) => clientOfMetadataDocument(url, json, settings.rules), settings.cache, settings.clock);
  const findByDocument = (clientId: string): Promise<Client | undefined> => {
    const url = metadataDocumentUrl(clientId);
    return url === undefined ? Promise.resolve(undefined) : cache.get(url);
  };
  return {
    find: (clientId) => base.find(clientId).then((client) => client ?? findByDocument(clientId)),
    ...(base.knownScopes !== undefined && { knownScopes: [...new Set([...base.knownScopes, ...settings.rules.scopes])].sort() }),
  };
}

/** Why a document was not fetched, in words for the person and the client; the response body is never in it. */
function fetchProblem(error: GuardedFetchError, maxBytes: number): string {
  const problems: Record<GuardedFetchErrorCode, string> = {
    invalid_url: 'the client_id is not a URL that can be fetched',
    // §3: https only (loopback http only where the server allows it, for development).
    insecure_url: 'the client_id is not an https URL',
    dns: 'the host name of the client_id could not be resolved',
    unknown_host: 'the host name of the client_id does not exist',
    // §6.5 of -01 (SSRF): never a private, loopback or link-local address.
    blocked_address: 'the host of the client_id is not on a public address',
    connect: 'the host of the client_id could not be reached',
    timeout: 'the document did not arrive in time',
    // §4: the document is answered with 200, redirects are not followed.
    redirect: 'its URL answered with a redirect, which is not followed',
    bad_status: `its URL answered with HTTP status ${error.status ?? 'other than 200'}`,
    // §6.6 of -01: a size limit on the response.
    too_large: `the document is larger than ${maxBytes} bytes`,
    bad_json: 'the document is not a JSON object',
  };
  return problems[error.code];
}
