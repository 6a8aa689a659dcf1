import type { DocumentCacheLimits } from '../client-id-metadata/document-cache';
import type { MetadataRules } from '../registration/metadata';
import { checkBoolean, checkByteSize, checkOptionsObject, checkPositiveInteger, type KnownKeys, type OptionPath } from './checks';
import { checkScopeLists } from './registration';

/**
 * The `clientIdMetadataDocuments` option: a `client_id` that is an https URL with a path is the
 * URL of the client's metadata document (draft-ietf-oauth-client-id-metadata-document), which
 * the server fetches. Off by default.
 */
export interface ClientIdMetadataDocumentOptions {
  /**
   * Development only: document URLs on a loopback host (`http://127.0.0.1:<port>/…`,
   * `http://localhost:<port>/…`, and https ones that resolve to a loopback address) are fetched
   * too (default false). Private and link-local addresses never are.
   */
  allowHttpLoopback?: boolean;
  /** The scopes such a client may have; the rest of what its document asks for is left out (default: none). */
  scopes?: readonly string[];
  /** The scopes of a client whose document asks for none (default: `scopes`). */
  defaultScopes?: readonly string[];
  /** The largest document accepted: bytes, or a size such as "5kb" (default "5kb", as the draft recommends). */
  maxDocumentSize?: number | string;
  /** The whole fetch, from resolving the host name to the last byte, in milliseconds (default 3000). */
  fetchTimeoutMs?: number;
  /** The documents kept in memory (each process has its own cache). */
  cache?: {
    /** Most documents kept; the least recently used goes first (default 1000). */
    maxEntries?: number;
    /** A document is kept at least this long, whatever its Cache-Control says (default 60 seconds). */
    minSeconds?: number;
    /** and at most this long (default 86400, a day). */
    maxSeconds?: number;
    /** A document that could not be fetched or used is tried again after this long (default 10 seconds). */
    failureSeconds?: number;
  };
}

export interface CheckedClientIdMetadataDocumentOptions {
  allowHttpLoopback: boolean;
  rules: MetadataRules;
  maxDocumentBytes: number;
  fetchTimeoutMs: number;
  cache: DocumentCacheLimits;
}

const KEYS: KnownKeys<ClientIdMetadataDocumentOptions> = {
  allowHttpLoopback: true, scopes: true, defaultScopes: true, maxDocumentSize: true, fetchTimeoutMs: true, cache: true,
};
const CACHE_KEYS: KnownKeys<NonNullable<ClientIdMetadataDocumentOptions['cache']>> = { maxEntries: true, minSeconds: true, maxSeconds: true, failureSeconds: true };

/** Checks `clientIdMetadataDocuments` (undefined or false: off). Such clients use the authorization code grant, and refresh tokens when the server has them. */
export function checkClientIdMetadataDocumentOptions(at: OptionPath, value: unknown, enabledGrantTypes: ReadonlySet<string>): CheckedClientIdMetadataDocumentOptions | undefined {
  if (value === undefined || value === false) return undefined;
  const options = checkOptionsObject(at, value, KEYS, '{ allowHttpLoopback?, scopes?, defaultScopes?, maxDocumentSize?, fetchTimeoutMs?, cache? }, or false');
  if (!enabledGrantTypes.has('authorization_code')) throw at.error('is only used with the authorizationCode() grant: add it to `grants`');
  const cache = checkOptionsObject(at.at('cache'), options.cache, CACHE_KEYS, '{ maxEntries?, minSeconds?, maxSeconds?, failureSeconds? }');
  const minSeconds = checkPositiveInteger(at.at('cache').at('minSeconds'), cache.minSeconds, 60);
  const maxSeconds = checkPositiveInteger(at.at('cache').at('maxSeconds'), cache.maxSeconds, 86_400);
  if (maxSeconds < minSeconds) throw at.at('cache').at('maxSeconds').error(`must be at least cache.minSeconds (${minSeconds})`);
  return {
    allowHttpLoopback: checkBoolean(at.at('allowHttpLoopback'), options.allowHttpLoopback, false),
    rules: { grantTypes: ['authorization_code', 'refresh_token'].filter((type) => enabledGrantTypes.has(type)), ...checkScopeLists(at, options) },
    maxDocumentBytes: checkByteSize(at.at('maxDocumentSize'), options.maxDocumentSize, 5 * 1024),
    fetchTimeoutMs: checkPositiveInteger(at.at('fetchTimeoutMs'), options.fetchTimeoutMs, 3000),
    cache: {
      maxEntries: checkPositiveInteger(at.at('cache').at('maxEntries'), cache.maxEntries, 1000),
      minSeconds,
      maxSeconds,
      failureSeconds: checkPositiveInteger(at.at('cache').at('failureSeconds'), cache.failureSeconds, 10),
    },
  };
}
