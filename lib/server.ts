import { Router, type RequestHandler } from 'express';
import { clientAuthenticator } from './client-auth/authenticate';
import { ClientMetadataError } from './clients/client';
import { clientRegistry } from './clients/registry';
import { SecretVerifier } from './clients/secrets';
import { systemClock } from './clock';
import { checkAuthorizationOptions } from './endpoints/authorization-options';
import { authorizeEndpoint, decisionEndpoint } from './endpoints/authorize';
import { formParamsReader, queryReader, rawFormReader } from './endpoints/form-params';
import { methodNotAllowed } from './endpoints/method-not-allowed';
import { tokenEndpoint, type EnabledGrant } from './endpoints/token';
import { clientEndpoint } from './endpoints/client-endpoint';
import { revokeToken } from './endpoints/revocation';
import { introspectToken } from './endpoints/introspection';
import { buildMetadata, metadataHandler, metadataPath, type ServerMetadata } from './endpoints/metadata';
import { clientCredentials } from './grants/client-credentials';
import { isDeviceAuthorization } from './device/device-authorization';
import { deviceUserStep, type DeviceUserStep } from './device/user-step';
import { deviceAuthorizationRequest } from './endpoints/device-authorization';
import { deviceDecisionEndpoint, deviceVerifyEndpoint } from './endpoints/device-verification';
import { clientAuthLimiter } from './limits/brute-force';
import {
  checkAudience,
  checkBoolean,
  checkBruteForce,
  checkByteSize,
  checkFunction,
  checkGrants,
  checkIssuer,
  checkNonNegativeInteger,
  checkPlainString,
  checkPositiveInteger,
  checkStore,
  OAuthServerOptionsError,
  type OAuthServerOptions,
} from './options';
import { requireTokenFactory, type RequireToken } from './resource/require-token';
import { memoryStore } from './stores/memory';
import { attemptCounters } from './limits/counters';
import { tokenIssuer } from './tokens/issuer';

/** The Express router to mount, with the middleware that protects the host app's routes. */
export interface OAuthServer extends Router {
  /** RFC 6750: a middleware that lets through requests whose Bearer token grants `scope`. */
  requireToken: RequireToken;
  /** RFC 8414 metadata, also served by the router at `/.well-known/oauth-authorization-server`. */
  metadata: ServerMetadata;
  /** Where RFC 8414 §3.1 puts the metadata on the host app: mount `metadataHandler` there. */
  metadataPath: string;
  /** Serves `metadata`; `app.get(oauth.metadataPath, oauth.metadataHandler)`. */
  metadataHandler: RequestHandler;
  /** The user's side of the device flow (RFC 8628 §3.3), when `deviceAuthorization()` is in `grants`. */
  device?: DeviceUserStep;
  /** Whether the store can be reached now. */
  health(): Promise<{ ok: boolean }>;
  /** Releases the store's connections and timers. */
  close(): Promise<void>;
}

const KNOWN_OPTIONS = new Set<string>([
  'issuer', 'clients', 'grants', 'store', 'accessTokenLifetime', 'tokenPrefix', 'realm',
  'refreshTokenLifetime', 'refreshTokenIdleLifetime', 'refreshTokenReuseGrace', 'authorization', 'bruteForce',
  'bearerMethods', 'limits', 'introspection', 'audience', 'onTokenIssued', 'onClientAuthFailed', 'onError', 'clock',
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
  const limits = {
    maxBodySize: checkByteSize('limits.maxBodySize', options.limits?.maxBodySize, 16 * 1024),
    maxParameters: checkPositiveInteger('limits.maxParameters', options.limits?.maxParameters, 50),
    maxParameterLength: checkPositiveInteger('limits.maxParameterLength', options.limits?.maxParameterLength, 4096),
  };
  const audience = checkAudience(options.audience);
  const introspectOwnTokens = checkBoolean('introspection.ownTokens', options.introspection?.ownTokens, true);
  const bearerMethods = {
    body: checkBoolean('bearerMethods.body', options.bearerMethods?.body, false),
    query: checkBoolean('bearerMethods.query', options.bearerMethods?.query, false),
  };
  const bruteForce = checkBruteForce(options.bruteForce);
  const onTokenIssued = checkFunction('onTokenIssued', options.onTokenIssued);
  const onClientAuthFailed = checkFunction('onClientAuthFailed', options.onClientAuthFailed);
  const onError = checkFunction('onError', options.onError) ?? (() => {});

  const enabledGrantTypes = new Set(grants.map((grant) => grant.type));
  const refreshTokens = enabledGrantTypes.has('refresh_token')
    ? {
        absoluteLifetime: checkPositiveInteger('refreshTokenLifetime', options.refreshTokenLifetime, 30 * 24 * 3600),
        idleLifetime: checkPositiveInteger('refreshTokenIdleLifetime', options.refreshTokenIdleLifetime, 14 * 24 * 3600),
        reuseGraceSeconds: checkNonNegativeInteger('refreshTokenReuseGrace', options.refreshTokenReuseGrace, 10),
      }
    : undefined;
  const deviceGrant = grants.find(isDeviceAuthorization);
  // The users who sign in and consent: those of the authorization code flow and of the device flow.
  const hasUsers = enabledGrantTypes.has('authorization_code') || deviceGrant !== undefined;
  if (!hasUsers && options.authorization !== undefined) {
    throw new OAuthServerOptionsError('authorization', 'is only used with the authorizationCode() grant and with deviceAuthorization(): add one to `grants`');
  }
  const authorization = hasUsers ? checkAuthorizationOptions(options.authorization) : undefined;
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

  const counters = attemptCounters(store);
  const enabledGrants = new Map<string, EnabledGrant>(
    grants.map((grant) => [
      grant.type,
      { grant, tokens: tokenIssuer({ store, clock, accessTokenLifetime, tokenPrefix, refreshTokens }, grant.type, safely(onTokenIssued)) },
    ]),
  );
  const knownParameters = new Set([
    'grant_type', 'client_id', 'client_secret', 'token', 'token_type_hint',
    ...grants.flatMap((grant) => grant.parameters),
    ...(deviceGrant !== undefined ? ['scope'] : []),
  ]);
  // Every endpoint that authenticates clients shares this authenticator, and so its limits.
  const clientAuth = clientAuthenticator(
    clients,
    new SecretVerifier(),
    realm,
    safely(onClientAuthFailed),
    clientAuthLimiter(bruteForce, counters),
  );
  const readParams = formParamsReader(limits, knownParameters);
  const endpointSettings = { clientAuth, readParams, onError };

  const router = Router() as OAuthServer;
  router.post('/token', tokenEndpoint({ ...endpointSettings, grants: enabledGrants, store, clock, counters }));
  router.post('/revoke', clientEndpoint(endpointSettings, revokeToken(store)));
  router.post(
    '/introspect',
    clientEndpoint(
      endpointSettings,
      introspectToken({ store, clock, issuer, audience, ownTokens: introspectOwnTokens }),
    ),
  );
  for (const path of ['/token', '/revoke', '/introspect']) router.all(path, methodNotAllowed('POST'));

  // The pages a person sees, and requireToken (tokens in a body or query), read with the same limits.
  const pageReaders = { readForm: rawFormReader(limits), readQuery: queryReader(limits) };
  // The authorization endpoint only with the authorization code grant (`authorization` may be there for the device flow alone).
  const codeFlow = enabledGrantTypes.has('authorization_code') ? authorization : undefined;
  if (codeFlow !== undefined) {
    const settings = { issuer, clients, store, clock, options: codeFlow, ...pageReaders, onError };
    const authorize = authorizeEndpoint(settings);
    router.get('/authorize', authorize);
    router.post('/authorize', authorize);
    router.all('/authorize', methodNotAllowed('GET', 'POST'));
    router.post('/authorize/decision', decisionEndpoint(settings));
    router.all('/authorize/decision', methodNotAllowed('POST'));
  }

  if (deviceGrant !== undefined && authorization !== undefined) {
    const { device } = deviceGrant;
    router.post('/device_authorization', clientEndpoint(endpointSettings, deviceAuthorizationRequest({ store, clock, device })));
    router.all('/device_authorization', methodNotAllowed('POST'));
    router.device = deviceUserStep({ store, clock, counters, device });
    const settings = { clients, store, clock, authorization, device, userStep: router.device, ...pageReaders, onError };
    router.get('/device/verify', deviceVerifyEndpoint(settings));
    router.all('/device/verify', methodNotAllowed('GET'));
    router.post('/device/decision', deviceDecisionEndpoint(settings));
    router.all('/device/decision', methodNotAllowed('POST'));
  }

  router.metadata = buildMetadata({
    issuer,
    endpoints: {
      ...(codeFlow !== undefined && { authorization_endpoint: '/authorize' }),
      token_endpoint: '/token',
      revocation_endpoint: '/revoke',
      introspection_endpoint: '/introspect',
      // RFC 8628 §4
      ...(deviceGrant !== undefined && { device_authorization_endpoint: '/device_authorization' }),
    },
    grantTypes: grants.map((grant) => grant.type),
    scopes: clients.knownScopes,
    ...(codeFlow !== undefined && {
      extra: {
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        code_challenge_methods_supported: codeFlow.pkce.allowPlain ? ['S256', 'plain'] : ['S256'],
        // RFC 9207 §3
        authorization_response_iss_parameter_supported: true,
      },
    }),
  });
  router.metadataPath = metadataPath(issuer);
  router.metadataHandler = metadataHandler(router.metadata);
  router.get('/.well-known/oauth-authorization-server', router.metadataHandler);

  router.requireToken = requireTokenFactory({ store, clock, realm, methods: bearerMethods, ...pageReaders, onError });
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
