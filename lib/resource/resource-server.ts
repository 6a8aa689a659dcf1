import type { JWTVerifyGetKey } from 'jose';
import { guardedFetch, type Resolver } from '../http/guarded-fetch';
import { queryReader, rawFormReader } from '../http/form-params';
import { resolveResourceServerOptions, type ResourceServerOptions } from '../options/resource-server';
import { introspectionVerifier } from './introspection-verifier';
import { issuerDiscovery, IssuerUnavailableError } from './issuer-discovery';
import { protectedResource, type ProtectedResource } from './protected-resource';
import { remoteKeySet } from './remote-key-set';
import { remoteJwtVerifier } from './remote-jwt-verifier';
import { looksLikeJwt } from '../tokens/jwt-access-token';
import type { AccessTokenVerifier } from './token-guard';
import { dpopRequests } from '../dpop/dpop';
import { replayRecords } from '../stores/replay-records';

/** A resource protected by an authorization server that runs elsewhere. */
export interface ResourceServer extends ProtectedResource {
  /** Forgets the discovered metadata, keys and cached answers; requests after it fail closed. */
  close(): Promise<void>;
}

/** How often the issuer and its keys are asked again; tests shorten them. */
export interface RemoteTimings {
  /** Discovered metadata is used this long (default 600 s). */
  metadataRefreshSeconds: number;
  /** After a failed discovery, the next attempt waits this long (default 10 s). */
  discoveryRetrySeconds: number;
  /** jose's cooldown on unknown `kid`s, and the wait after a failed key set fetch (default 30 s). */
  keysCooldownMs: number;
  /** Fetched keys are used this long before the set is fetched again (default 10 min). */
  keysMaxAgeMs: number;
  /** How long an inactive introspection answer is used (default 5 s, never over `cacheSeconds`). */
  negativeCacheSeconds: number;
  /** After the introspection endpoint failed, how long requests get 503 without asking it (default 2 s). */
  introspectionRetrySeconds: number;
  /** Verified JWT access tokens kept until they expire (default 10000). */
  maxCachedTokens: number;
}

const DEFAULT_TIMINGS: RemoteTimings = {
  metadataRefreshSeconds: 600,
  discoveryRetrySeconds: 10,
  keysCooldownMs: 30_000,
  keysMaxAgeMs: 600_000,
  negativeCacheSeconds: 5,
  introspectionRetrySeconds: 2,
  maxCachedTokens: 10_000,
};

/**
 * `requireToken` for an Express app that does not run the authorization server: tokens are
 * checked against the issuer's published metadata (RFC 8414), discovered on the first request.
 * JWT access tokens (RFC 9068) are verified with the issuer's `jwks_uri`; opaque ones are asked
 * about at its introspection endpoint (RFC 7662), when `introspection` credentials are given.
 * When the issuer cannot be reached, requests fail closed: 503 `temporarily_unavailable`.
 *
 * ```ts
 * const api = resourceServer({ issuer: 'https://auth.example.com/oauth', resource: 'https://api.example.com/reports' });
 * app.get(api.metadataPath, api.metadataHandler);           // RFC 9728
 * app.get('/reports', api.requireToken('reports:read'), handler);
 * ```
 */
export function resourceServer(options: ResourceServerOptions): ResourceServer {
  return remoteResourceServer(options);
}

/** `resourceServer()` with what tests change: the resolver, and the timings. */
export function remoteResourceServer(options: ResourceServerOptions, internals: { resolver?: Resolver; timings?: Partial<RemoteTimings> } = {}): ResourceServer {
  const settings = resolveResourceServerOptions(options);
  const { issuer, resource, clock, onError, allowHttpLoopback, clockToleranceSeconds } = settings;
  const timings = { ...DEFAULT_TIMINGS, ...internals.timings };
  const fetcher = guardedFetch({ allowHttpLoopback, timeoutMs: settings.fetchTimeoutMs, ...(internals.resolver !== undefined && { resolver: internals.resolver }) });
  const discovery = issuerDiscovery({
    issuer, fetcher, allowHttpLoopback, clock, onError,
    refreshSeconds: timings.metadataRefreshSeconds,
    retrySeconds: timings.discoveryRetrySeconds,
  });

  // One key set per jwks_uri, made again only when a refresh of the metadata names another.
  let keySet: { uri: string; keys: JWTVerifyGetKey } | undefined;
  const keys = async (): Promise<JWTVerifyGetKey | undefined> => {
    const { jwksUri } = await discovery.current();
    if (jwksUri === undefined) return undefined;
    if (keySet?.uri !== jwksUri.href) {
      const made = remoteKeySet(jwksUri, { fetcher, timeoutMs: settings.fetchTimeoutMs, cooldownMs: timings.keysCooldownMs, cacheMaxAgeMs: timings.keysMaxAgeMs, onError });
      keySet = { uri: jwksUri.href, keys: made };
    }
    return keySet.keys;
  };
  const jwt = remoteJwtVerifier({
    issuer, resource, clock, keys, clockToleranceSeconds,
    algorithms: settings.algorithms,
    maxCachedTokens: timings.maxCachedTokens,
  });
  const introspection =
    settings.introspection === undefined
      ? undefined
      : introspectionVerifier({
          issuer, resource, fetcher, clock, onError, clockToleranceSeconds,
          ...settings.introspection,
          endpoint: async () => (await discovery.current()).introspectionEndpoint,
          negativeCacheSeconds: Math.min(timings.negativeCacheSeconds, settings.introspection.cacheSeconds),
          retrySeconds: timings.introspectionRetrySeconds,
          acceptTokensWithoutAudience: settings.acceptTokensWithoutAudience,
        });

  let closed = false;
  const verify: AccessTokenVerifier = async (token) => {
    if (closed) throw new IssuerUnavailableError();
    if (looksLikeJwt(token)) return jwt.verify(token);
    // Without introspection, an opaque token cannot be checked here: it is not accepted.
    return introspection === undefined ? undefined : introspection.verify(token);
  };

  // RFC 9449 §7: the proof's htu is a URL of this resource's origin, whatever Host header came.
  // Replay records in `store` when it keeps them (shared by every instance using it), else in this process (one instance only).
  const replay = settings.dpop === undefined ? undefined : replayRecords(settings.store, clock);
  const dpop = settings.dpop === undefined || replay === undefined ? undefined : dpopRequests(settings.dpop, clock, replay.rememberOnce);

  // The form readers are never used (tokens come in the Authorization header only), but the guard takes them.
  const limits = { maxBodySize: 16 * 1024, maxParameters: 50, maxParameterLength: 4096 };
  const api = protectedResource({
    metadata: {
      resource,
      authorizationServers: [issuer],
      ...(settings.scopes !== undefined && { scopes: settings.scopes }),
      ...(settings.resourceName !== undefined && { name: settings.resourceName }),
    },
    acceptTokensWithoutAudience: settings.acceptTokensWithoutAudience,
    guard: {
      verify,
      // The guard refuses a token from its expiry on; the issuer's clock may be behind this
      // host's, so it gets the same leeway as the JWT checks (RFC 7519 §4.1.4 "small leeway").
      clock: () => clock() - clockToleranceSeconds,
      realm: settings.realm,
      methods: { body: false, query: false },
      readForm: rawFormReader(limits),
      readQuery: queryReader(limits),
      ...(dpop !== undefined && { dpop: { requests: dpop, origin: new URL(resource).origin } }),
      onError,
    },
  });

  return {
    ...api,
    async close() {
      closed = true;
      await replay?.close();
      jwt.clear();
      introspection?.clear();
      discovery.forget();
      keySet = undefined;
    },
  };
}
