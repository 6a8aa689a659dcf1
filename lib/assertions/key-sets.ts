import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { setBounded } from '../bounded-map';
import type { GuardedFetch } from '../http/guarded-fetch';
import { remoteKeySet } from '../resource/remote-key-set';

/** Where the keys of an assertion's signer are: inline (`jwks`) or published (`jwks_uri`). */
export interface KeySource {
  readonly jwks?: JSONWebKeySet;
  readonly jwksUri?: string;
}

export interface KeySetSettings {
  /** The guarded fetch (lib/http/guarded-fetch.ts): https only, no private addresses, size and time limits. */
  fetcher: GuardedFetch;
  timeoutMs: number;
  /** After a fetch, an unknown `kid` waits this long before the set is fetched again (no fetch storms). */
  cooldownMs: number;
  /** Fetched keys are used this long before the set is fetched again. */
  cacheMaxAgeMs: number;
  onError: (error: unknown) => void;
  /** Most `jwks_uri` key sets kept at once (default 1000); the oldest is forgotten first. */
  maxRemoteSets?: number;
}

/**
 * The keys that verify assertions, made once per source: an inline set is imported once per
 * set object (a static client's, or a trusted issuer's); a `jwks_uri` is fetched through the
 * guarded fetch, cached, and fetched again on an unknown `kid` at most once per cooldown
 * (jose's remote key set, lib/resource/remote-key-set.ts). Keyed by URL, so that clients
 * naming one URL share one cache.
 */
export function assertionKeySets(settings: KeySetSettings): (source: KeySource) => JWTVerifyGetKey {
  const local = new WeakMap<JSONWebKeySet, JWTVerifyGetKey>();
  const remote = new Map<string, JWTVerifyGetKey>();
  const maxRemote = settings.maxRemoteSets ?? 1000;
  return (source) => {
    if (source.jwks !== undefined) {
      const known = local.get(source.jwks);
      if (known !== undefined) return known;
      const made = createLocalJWKSet(source.jwks);
      local.set(source.jwks, made);
      return made;
    }
    const uri = source.jwksUri as string;
    const known = remote.get(uri);
    if (known !== undefined) return known;
    const made = remoteKeySet(new URL(uri), settings);
    setBounded(remote, maxRemote, uri, made);
    return made;
  };
}
