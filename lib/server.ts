import { Router } from 'express';
import { clientAuthenticator } from './client-auth/authenticate';
import { ClientMetadataError } from './clients/client';
import { clientRegistry } from './clients/registry';
import { SecretVerifier } from './clients/secrets';
import { systemClock } from './clock';
import { formParamsReader } from './endpoints/form-params';
import { methodNotAllowed } from './endpoints/method-not-allowed';
import { tokenEndpoint, type EnabledGrant } from './endpoints/token';
import { clientCredentials } from './grants/client-credentials';
import { clientAuthLimiter } from './limits/brute-force';
import {
  checkBruteForce,
  checkFunction,
  checkGrants,
  checkIssuer,
  checkPlainString,
  checkPositiveInteger,
  checkStore,
  OAuthServerOptionsError,
  type OAuthServerOptions,
} from './options';
import { requireTokenFactory, type RequireToken } from './resource/require-token';
import { memoryAttemptCounter, memoryStore } from './stores/memory';
import { tokenIssuer } from './tokens/issuer';

/** The Express router to mount, with the middleware that protects the host app's routes. */
export interface OAuthServer extends Router {
  /** RFC 6750: a middleware that lets through requests whose Bearer token grants `scope`. */
  requireToken: RequireToken;
  /** Whether the store can be reached now. */
  health(): Promise<{ ok: boolean }>;
  /** Releases the store's connections and timers. */
  close(): Promise<void>;
}

const KNOWN_OPTIONS = new Set<string>([
  'issuer', 'clients', 'grants', 'store', 'accessTokenLifetime', 'tokenPrefix', 'realm',
  'bearerMethods', 'limits', 'bruteForce', 'onTokenIssued', 'onClientAuthFailed', 'onError', 'clock',
] satisfies (keyof OAuthServerOptions)[]);

/**
 * Creates an OAuth 2.0 authorization server to mount in an Express app.
 *
 * ```ts
 * const oauth = oauthServer({ issuer: 'https://api.example.com/oauth', clients });
 * app.use('/oauth', oauth);
 * app.get('/api/reports', oauth.requireToken('reports:read'), handler);
 * ```
 */
export function oauthServer(options: OAuthServerOptions): OAuthServer {
  if (typeof options !== 'object' || options === null) throw new OAuthServerOptionsError('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new OAuthServerOptionsError(key, 'is not an option of oauthServer()');
  }

  const issuer = checkIssuer(options.issuer);
  const grants = checkGrants(options.grants ?? [clientCredentials()]);
  const store = options.store === undefined ? memoryStore() : checkStore(options.store);
  const clock = checkFunction('clock', options.clock) ?? systemClock;
  const accessTokenLifetime = checkPositiveInteger('accessTokenLifetime', options.accessTokenLifetime, 3600);
  const tokenPrefix = checkPlainString('tokenPrefix', options.tokenPrefix, /^[A-Za-z0-9_-]{0,16}$/, '');
  const realm = checkPlainString('realm', options.realm, /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,200}$/, issuer);
  const maxParameters = checkPositiveInteger('limits.maxParameters', options.limits?.maxParameters, 50);
  const maxBodySize = options.limits?.maxBodySize ?? '16kb';
  const bruteForce = checkBruteForce(options.bruteForce);
  const onTokenIssued = checkFunction('onTokenIssued', options.onTokenIssued);
  const onClientAuthFailed = checkFunction('onClientAuthFailed', options.onClientAuthFailed);
  const onError = checkFunction('onError', options.onError) ?? (() => {});

  const enabledGrantTypes = new Set(grants.map((grant) => grant.type));
  let clients;
  try {
    clients = clientRegistry(options.clients, enabledGrantTypes);
  } catch (error) {
    if (error instanceof ClientMetadataError) throw new OAuthServerOptionsError('clients', `is invalid: ${error.message}`);
    throw error;
  }

  // Hooks run for the host app's audit; a failing hook must not change the response.
  const safely = <E>(hook: ((event: E) => void) | undefined) => (event: E) => {
    try {
      hook?.(event);
    } catch (error) {
      onError(error);
    }
  };

  const enabledGrants = new Map<string, EnabledGrant>(
    grants.map((grant) => [
      grant.type,
      { grant, tokens: tokenIssuer({ store, clock, accessTokenLifetime, tokenPrefix }, grant.type, safely(onTokenIssued)) },
    ]),
  );
  const knownParameters = new Set(['grant_type', 'client_id', 'client_secret', ...grants.flatMap((grant) => grant.parameters)]);

  // Every endpoint that authenticates clients shares this authenticator, and so its limits.
  const clientAuth = clientAuthenticator(
    clients,
    new SecretVerifier(),
    realm,
    safely(onClientAuthFailed),
    clientAuthLimiter(bruteForce, store.attemptCounter?.bind(store) ?? memoryAttemptCounter),
  );

  const router = Router() as OAuthServer;
  router.post(
    '/token',
    tokenEndpoint({
      grants: enabledGrants,
      clientAuth,
      readParams: formParamsReader({ maxBodySize, maxParameters }, knownParameters),
      store,
      clock,
      onError,
    }),
  );
  router.all('/token', methodNotAllowed('POST'));

  router.requireToken = requireTokenFactory({
    store,
    clock,
    realm,
    methods: { body: options.bearerMethods?.body ?? false, query: options.bearerMethods?.query ?? false },
    onError,
  });
  router.health = async () => {
    try {
      await store.ping();
      return { ok: true };
    } catch {
      return { ok: false };
    }
  };
  router.close = () => store.close();
  return router;
}
