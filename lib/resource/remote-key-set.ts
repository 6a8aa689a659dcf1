import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose';
import { TemporarilyUnavailableError } from '../errors';
import { GuardedFetchError, type GuardedFetch } from '../http/guarded-fetch';

export interface RemoteKeySetSettings {
  fetcher: GuardedFetch;
  /** The whole JWKS request (jose's `timeoutDuration`). */
  timeoutMs: number;
  /**
   * jose's `cooldownDuration`: after a fetch, how long a token with an unknown `kid` is refused
   * without fetching again, so that a flood of made-up `kid`s costs one fetch at most. The same
   * wait applies after a failed fetch.
   */
  cooldownMs: number;
  /** jose's `cacheMaxAge`: how long fetched keys are used before the set is fetched again. */
  cacheMaxAgeMs: number;
  onError: (error: unknown) => void;
  /** Milliseconds; jose keeps its own time with `Date.now` too. */
  now?: () => number;
}

/** The key set cannot be fetched: the request fails closed. */
export class KeySetUnavailableError extends TemporarilyUnavailableError {
  constructor(
    /**
     * The failure may pass by itself (no answer, a time-out, a 5xx or 429), as opposed to a URL
     * that will not serve a key set (a refused address, a 4xx, not a key set).
     */
    readonly transient: boolean,
  ) {
    super('The keys that verify tokens for this resource cannot be fetched.');
  }
}

/**
 * The keys of a `jwks_uri` (RFC 8414 §2, RFC 7517 §5), for `jwtVerify`: jose's remote key set,
 * fetched through the guarded fetch. When the set cannot be fetched, the keys fetched before
 * still verify (an issuer that is down issues no new keys); a key that is not among them is
 * `temporarily_unavailable` (it might be new), and so is every key before the first fetch.
 */
export function remoteKeySet(jwksUri: URL, settings: RemoteKeySetSettings): JWTVerifyGetKey {
  const { fetcher, timeoutMs, cooldownMs, cacheMaxAgeMs, onError, now = Date.now } = settings;
  let failedAt: number | undefined;
  let lastFailure: unknown;
  /** The keys fetched before the last failure, used while the set cannot be fetched. */
  let fetchedBefore: JWTVerifyGetKey | undefined;

  const remote = createRemoteJWKSet(jwksUri, {
    timeoutDuration: timeoutMs,
    cooldownDuration: cooldownMs,
    cacheMaxAge: cacheMaxAgeMs,
    [customFetch]: async (url: string) => {
      // jose counts its cooldown from the last successful fetch only: a set that cannot be
      // fetched would otherwise be asked for on every request.
      if (failedAt !== undefined && now() < failedAt + cooldownMs) throw lastFailure;
      const jwks = await fetcher.getJson(url);
      return new Response(JSON.stringify(jwks), { status: 200, headers: { 'Content-Type': 'application/json' } });
    },
  });

  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      // The token's fault (no such key, several keys, an unusable key): invalid_token.
      if (!isFetchFailure(error)) throw error;
      if (error !== lastFailure) {
        failedAt = now();
        lastFailure = error;
        onError(error);
        const known = remote.jwks();
        fetchedBefore = known === undefined ? undefined : createLocalJWKSet(known);
      }
      if (fetchedBefore !== undefined) {
        try {
          return await fetchedBefore(header, token);
        } catch (staleError) {
          if (!(staleError instanceof errors.JWKSNoMatchingKey)) throw staleError;
        }
      }
      throw new KeySetUnavailableError(mayPassBySelf(lastFailure));
    }
  };
}

function mayPassBySelf(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout) return true;
  if (!(error instanceof GuardedFetchError)) return false;
  if (error.code === 'bad_status') return error.status !== undefined && (error.status >= 500 || error.status === 429);
  return error.code === 'dns' || error.code === 'connect' || error.code === 'timeout';
}

/** Errors of fetching the set, as opposed to errors of the token's header. */
function isFetchFailure(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true;
  return error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC';
}
