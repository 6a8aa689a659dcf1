import type { Clock } from '../clock';
import { TemporarilyUnavailableError } from '../errors';
import { checkedUrl, type GuardedFetch } from '../http/guarded-fetch';
import { sharedInFlight } from '../in-flight';
import { metadataPath } from '../endpoints/metadata';

/** What a resource server needs of its issuer's RFC 8414 metadata, each URL checked. */
export interface IssuerMetadata {
  issuer: string;
  jwksUri?: URL;
  introspectionEndpoint?: URL;
}

export interface IssuerDiscoverySettings {
  issuer: string;
  fetcher: GuardedFetch;
  allowHttpLoopback: boolean;
  clock: Clock;
  /** How long discovered metadata is used before it is fetched again. */
  refreshSeconds: number;
  /** After a failed discovery, how long before the next attempt; requests meanwhile fail at once. */
  retrySeconds: number;
  onError: (error: unknown) => void;
}

/** The issuer could not be discovered: the request fails closed (503, RFC 6749 §4.1.2.1 `temporarily_unavailable`). */
export class IssuerUnavailableError extends TemporarilyUnavailableError {
  constructor() {
    super('The authorization server that issues tokens for this resource cannot be reached.');
  }
}

/** Metadata that breaks RFC 8414: never used. */
export class IssuerMetadataError extends Error {
  override name = 'IssuerMetadataError';
}

/** RFC 8414 §3.1: the path-insertion URL of the issuer's metadata, the one place a client looks. */
export function authorizationServerMetadataUrl(issuer: string): URL {
  return new URL(metadataPath(issuer), new URL(issuer).origin);
}

/**
 * The issuer's metadata, discovered on first use (lazily: a resource server starts even while its
 * issuer is down), used for `refreshSeconds`, then fetched again. A failed refresh keeps the
 * metadata already known (it was valid, and its keys still verify); a failed first discovery
 * fails the request, and the next attempt waits `retrySeconds`.
 */
export function issuerDiscovery(settings: IssuerDiscoverySettings): { current(): Promise<IssuerMetadata>; forget(): void } {
  const { issuer, fetcher, allowHttpLoopback, clock, refreshSeconds, retrySeconds, onError } = settings;
  const metadataUrl = authorizationServerMetadataUrl(issuer);
  const shared = sharedInFlight<'discovery', IssuerMetadata>();
  let known: { metadata: IssuerMetadata; fetchedAt: number } | undefined;
  let failedAt: number | undefined;

  const discover = () =>
    shared('discovery', async () => {
      try {
        const metadata = readMetadata(await fetcher.getJson(metadataUrl), issuer, allowHttpLoopback);
        known = { metadata, fetchedAt: clock() };
        failedAt = undefined;
        return metadata;
      } catch (error) {
        failedAt = clock();
        onError(error);
        throw new IssuerUnavailableError();
      }
    });

  return {
    async current() {
      const now = clock();
      if (known !== undefined && now < known.fetchedAt + refreshSeconds) return known.metadata;
      const waiting = failedAt !== undefined && now < failedAt + retrySeconds;
      if (waiting) {
        if (known !== undefined) return known.metadata;
        throw new IssuerUnavailableError();
      }
      try {
        return await discover();
      } catch (error) {
        if (known !== undefined) return known.metadata;
        throw error;
      }
    },
    forget() {
      known = undefined;
      failedAt = undefined;
    },
  };
}

function readMetadata(document: Record<string, unknown>, issuer: string, allowHttpLoopback: boolean): IssuerMetadata {
  // RFC 8414 §3.3: "The issuer value returned MUST be identical to the authorization server's
  // issuer identifier value"; otherwise the metadata "MUST NOT be used".
  if (document.issuer !== issuer) {
    throw new IssuerMetadataError(`The metadata at ${authorizationServerMetadataUrl(issuer).href} names another issuer than ${issuer}.`);
  }
  const url = (name: string): URL | undefined => {
    const value = document[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new IssuerMetadataError(`The metadata's ${name} is not a URL.`);
    try {
      return checkedUrl(value, allowHttpLoopback);
    } catch (error) {
      throw new IssuerMetadataError(`The metadata's ${name} cannot be used: ${(error as Error).message}`);
    }
  };
  const jwksUri = url('jwks_uri');
  const introspectionEndpoint = url('introspection_endpoint');
  return { issuer, ...(jwksUri !== undefined && { jwksUri }), ...(introspectionEndpoint !== undefined && { introspectionEndpoint }) };
}
