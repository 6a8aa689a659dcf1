import { Router, type RequestHandler } from 'express';
import { clientAuthenticator } from './client-auth/authenticate';
import { SecretVerifier } from './clients/secrets';
import { deviceUserStep, type DeviceUserStep } from './device/user-step';
import { authorizeEndpoint, decisionEndpoint } from './endpoints/authorize';
import { clientEndpoint, type ClientEndpointSettings } from './endpoints/client-endpoint';
import { deviceAuthorizationRequest } from './endpoints/device-authorization';
import { deviceDecisionEndpoint, deviceVerifyEndpoint } from './endpoints/device-verification';
import { formParamsReader, queryReader, rawFormReader, repeatableFormReader } from './http/form-params';
import { pushedAuthorizationRequest } from './endpoints/pushed-authorization';
import { PUSHED_PARAMETERS } from './authorization/pushed-request';
import { introspectToken } from './endpoints/introspection';
import { buildMetadata, endpointUrl, metadataPath, type ServerMetadata } from './endpoints/metadata';
import { jsonDocumentHandler } from './http/json-document';
import { methodNotAllowed } from './http/method-not-allowed';
import { revokeToken } from './endpoints/revocation';
import { tokenEndpoint, type EnabledGrant } from './endpoints/token';
import type { AssertionGrantContext } from './grants/grant';
import { isPasswordGrant } from './grants/password';
import { attemptLimiter, type AttemptLimiter } from './limits/attempt-limiter';
import { attemptLimits, DEFAULT_PASSWORD_LIMIT, type AttemptLimits } from './limits/password-limits';
import { concurrencySlots, DEFAULT_SLOTS } from './limits/slots';
import { memoryAttemptStore } from './stores/memory/attempts';
import { resolveServerOptions, type OAuthServerOptions, type ServerSettings } from './options/server';
import { tokenGuard, type RequireToken } from './resource/token-guard';
import { localTokenVerifier } from './resource/local-verifier';
import { protectedResource, type ProtectedResource } from './resource/protected-resource';
import { tokenStoreKey, type TokenStoreKey } from './tokens/token-lookup';
import { jwtAccessTokens, type JwtAccessTokens } from './tokens/jwt-access-token';
import { signingKeys, type SigningKeys } from './keys/signing-keys';
import { jwksEndpoint } from './endpoints/jwks';
import { tokenIssuer } from './tokens/issuer';
import { dpopRequests, type DpopRequests } from './dpop/dpop';
import { replayRecords } from './stores/replay-records';
import { guardedFetch } from './http/guarded-fetch';
import { assertionKeySets } from './assertions/key-sets';
import { clientAssertionVerifier } from './client-auth/client-assertion';
import { mountRegistration, withRegistration } from './registration/mount';
import { withClientIdMetadataDocuments } from './client-id-metadata/mount';

/** The Express router to mount, with the middleware that protects the host app's routes. */
export interface OAuthServer extends Router {
  /**
   * RFC 6750: a middleware that lets through requests whose Bearer token grants `scope`, among
   * tokens issued without a resource; use `resource(uri).requireToken` for a resource's routes.
   */
  requireToken: RequireToken;
  /**
   * One of the `resources` (RFC 8707): its routes' `requireToken`, which accepts only tokens for
   * it, and its RFC 9728 metadata document, to mount at `metadataPath` on the host app.
   */
  resource(uri: string, options?: ResourceRouteOptions): ProtectedResource;
  /** RFC 8414 metadata, also served by the router at `/.well-known/oauth-authorization-server`. */
  metadata: ServerMetadata;
  /** Where RFC 8414 §3.1 puts the metadata on the host app: mount `metadataHandler` there. */
  metadataPath: string;
  /** Serves `metadata`; `app.get(oauth.metadataPath, oauth.metadataHandler)`. */
  metadataHandler: RequestHandler;
  /** The user's side of the device flow (RFC 8628 §3.3), when `deviceAuthorization()` is in `grants`. */
  device?: DeviceUserStep;
  /** The brute-force limits, for the host app's own sign-in (`limits.checkPassword`). */
  limits: AttemptLimits;
  /** Whether the store can be reached now. */
  health(): Promise<{ ok: boolean }>;
  /** Releases the store's connections and timers. */
  close(): Promise<void>;
}

export interface ResourceRouteOptions {
  /** Also accept tokens issued without any resource (default false). */
  acceptTokensWithoutAudience?: boolean;
}

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
  // The clients: static ones (or the host's lookup), then registered ones, then metadata documents.
  const settings = withClientIdMetadataDocuments(withRegistration(resolveServerOptions(options)));
  const parts = sharedParts(settings);
  const router = Router() as OAuthServer;
  mountClientEndpoints(router, settings, parts);
  mountCodeFlow(router, settings, parts);
  mountDeviceFlow(router, settings, parts);
  mountKeys(router, settings, parts);
  mountRegistration(router, settings);
  mountMetadata(router, settings);

  const { store, clock, realm, bearerMethods, onError } = settings;
  // One verifier for every route; a JWT's signature is checked once per process (tokenStoreKey, shared with introspection and revocation).
  const dpop = parts.dpop === undefined ? undefined : { requests: parts.dpop, origin: new URL(settings.issuer).origin };
  const guard = { verify: localTokenVerifier(store, parts.storeKey), clock, realm, methods: bearerMethods, ...parts.pageReaders, ...(dpop !== undefined && { dpop }), onError };
  router.requireToken = tokenGuard({ ...guard, audienceRule: { acceptTokensWithoutAudience: true } });
  router.resource = (uri, options = {}) => {
    const resource = settings.resources.get(uri);
    if (resource === undefined) throw new TypeError(`oauth.resource: ${JSON.stringify(uri)} is not one of the \`resources\` option's uris`);
    return protectedResource({
      metadata: { resource: uri, authorizationServers: [settings.issuer], scopes: resource.scopes, ...(resource.name !== undefined && { name: resource.name }) },
      acceptTokensWithoutAudience: options.acceptTokensWithoutAudience === true,
      guard,
    });
  };
  router.health = async () => {
    try {
      await store.ping();
      return { ok: true };
    } catch {
      return { ok: false };
    }
  };
  router.limits = parts.limits;
  router.close = async () => {
    parts.closeLimits();
    parts.keys?.close();
    await parts.closeReplayRecords();
    return store.close();
  };
  return router;
}

/** What several parts of the router use alike. */
interface SharedParts {
  limiter: AttemptLimiter;
  /** The password limits of the password grant, shared with the host app's sign-in. */
  limits: AttemptLimits;
  /** Stops the limits' own memory, when the store keeps none. */
  closeLimits(): void;
  /** The pages a person sees, and requireToken (tokens in a body or query), read with the same limits. */
  pageReaders: { readForm: ReturnType<typeof rawFormReader>; readQuery: ReturnType<typeof queryReader> };
  /** What every endpoint that authenticates clients needs: they share one authenticator, and so its limits. */
  clientEndpoints: ClientEndpointSettings;
  /** The keys of JWT access tokens (RFC 9068), and what signs and reads those, when a resource has them. */
  keys?: SigningKeys;
  jwt?: JwtAccessTokens;
  /** Where the store keeps a presented token's record. */
  storeKey: TokenStoreKey;
  /** DPoP (RFC 9449), unless turned off. */
  dpop?: DpopRequests;
  /**
   * What assertions (client assertions, JWT bearer grants) are checked against: this server's
   * names, the replay records shared by every instance on the store, and the keys of assertion
   * issuers (one guarded fetch and one cache, with `clientFetch`'s settings).
   */
  assertions: AssertionGrantContext;
  /** The token endpoint's form: `resource` may come more than once there (RFC 8707 §2.2), to be refused as invalid_target. */
  readTokenParams: ReturnType<typeof repeatableFormReader>;
  /** Stops the replay records' own memory, when the store keeps none. */
  closeReplayRecords(): Promise<void>;
}

function sharedParts(settings: ServerSettings): SharedParts {
  const { store, clients, realm, bruteForce, grants, deviceGrant, onError } = settings;
  // The limits' state lives in the store, or in this process for a store that keeps none.
  const ownAttemptStore = store.attempts === undefined ? memoryAttemptStore(settings.clock) : undefined;
  const attemptState = store.attempts ?? (ownAttemptStore as NonNullable<typeof ownAttemptStore>);
  const limiter = attemptLimiter(attemptState, concurrencySlots({ ...DEFAULT_SLOTS, maxWaitMs: attemptState.timeoutMs ?? DEFAULT_SLOTS.maxWaitMs }));
  const limits = attemptLimits(limiter, grants.find(isPasswordGrant)?.perUsername ?? DEFAULT_PASSWORD_LIMIT);
  // Replay records live in the store, or in this process for a store that keeps none (one instance only).
  const replay = replayRecords(store, settings.clock);
  // private_key_jwt (RFC 7523 §2.2): the clients' keys, a jwks_uri fetched only through the guarded fetch.
  const { clientFetch } = settings;
  const fetcher = guardedFetch({ allowHttpLoopback: clientFetch.allowHttpLoopback, timeoutMs: clientFetch.timeoutMs });
  const keysOf = assertionKeySets({ fetcher, timeoutMs: clientFetch.timeoutMs, cooldownMs: clientFetch.keysCooldownMs, cacheMaxAgeMs: clientFetch.keysMaxAgeMs, onError });
  const assertions = { issuer: settings.issuer, tokenEndpointUrl: endpointUrl(settings.issuer, '/token'), rememberOnce: replay.rememberOnce, keysOf };
  const verifyAssertion = clientAssertionVerifier({ ...assertions, clock: settings.clock });
  const clientAuth = clientAuthenticator(clients, new SecretVerifier(), realm, safely(settings.onClientAuthFailed, onError), { limiter, clientAuth: bruteForce }, verifyAssertion);
  const knownParameters = new Set([
    'grant_type', 'client_id', 'client_secret', ...CLIENT_ASSERTION_PARAMETERS, 'token', 'token_type_hint', 'resource',
    ...grants.flatMap((grant) => grant.parameters),
    ...(deviceGrant !== undefined ? ['scope'] : []),
  ]);
  const dpop = settings.dpop === undefined ? undefined : dpopRequests(settings.dpop, settings.clock, replay.rememberOnce);
  const keys = settings.jwt && signingKeys({ options: settings.jwt.keys, store, clock: settings.clock, longestTokenLifetimeSeconds: settings.jwt.longestLifetime });
  // Imported now, so that the first token is not slower than the others; a failure shows there too.
  keys?.signingKey().catch(onError);
  const jwt = keys && jwtAccessTokens(settings.issuer, keys);
  return {
    keys,
    jwt,
    ...(dpop !== undefined && { dpop }),
    assertions,
    closeReplayRecords: replay.close,
    storeKey: tokenStoreKey(jwt),
    limiter,
    limits,
    closeLimits: () => ownAttemptStore?.close(),
    pageReaders: { readForm: rawFormReader(settings.limits), readQuery: queryReader(settings.limits) },
    clientEndpoints: { clientAuth, readParams: formParamsReader(settings.limits, knownParameters), onError },
    readTokenParams: repeatableFormReader(settings.limits, knownParameters, new Set(['resource'])),
  };
}

/** RFC 7521 §4.2: the parameters of client assertion authentication, read wherever clients authenticate. */
const CLIENT_ASSERTION_PARAMETERS = ['client_assertion', 'client_assertion_type'];

/** Hooks run for the host app's audit; a failing hook must not change the response. */
function safely<E>(hook: ((event: E) => void) | undefined, onError: (error: unknown) => void): (event: E) => void {
  return (event) => {
    try {
      hook?.(event);
    } catch (error) {
      onError(error);
    }
  };
}

/** The endpoints clients call: token (RFC 6749 §3.2), revocation (RFC 7009), introspection (RFC 7662). */
function mountClientEndpoints(router: OAuthServer, settings: ServerSettings, parts: SharedParts): void {
  const { limits, clientEndpoints, jwt, storeKey, dpop, assertions, readTokenParams } = parts;
  const { store, clock, grants, issuer, audience, introspectOwnTokens, resources } = settings;
  const onTokenIssued = safely(settings.onTokenIssued, settings.onError);
  const { accessTokenLifetime, tokenPrefix, refreshTokens } = settings;
  const enabledGrants = new Map<string, EnabledGrant>(
    grants.map((grant) => [grant.type, { grant, tokens: tokenIssuer({ store, clock, accessTokenLifetime, tokenPrefix, refreshTokens, jwt }, grant.type, onTokenIssued) }]),
  );
  router.post('/token', tokenEndpoint({ ...clientEndpoints, readParams: readTokenParams, grants: enabledGrants, store, clock, limits, resources, assertions, ...(dpop !== undefined && { dpop: { requests: dpop, tokenEndpointUrl: assertions.tokenEndpointUrl } }) }));
  router.post('/revoke', clientEndpoint(clientEndpoints, revokeToken(store, storeKey)));
  router.post('/introspect', clientEndpoint(clientEndpoints, introspectToken({ store, storeKey, clock, issuer, audience, ownTokens: introspectOwnTokens })));
  for (const path of ['/token', '/revoke', '/introspect']) router.all(path, methodNotAllowed('POST'));
}

/**
 * The authorization endpoint (RFC 6749 §3.1) and its consent decision, with the authorization
 * code grant; and the pushed authorization request endpoint (RFC 9126), whose clients
 * authenticate as at the token endpoint.
 */
function mountCodeFlow(router: OAuthServer, settings: ServerSettings, { pageReaders, clientEndpoints, dpop }: SharedParts): void {
  const { codeFlow, issuer, clients, store, clock, resources, onError } = settings;
  if (codeFlow === undefined) return;
  const endpointSettings = { issuer, clients, store, clock, options: codeFlow, resources, ...pageReaders, onError };
  const authorize = authorizeEndpoint(endpointSettings);
  router.get('/authorize', authorize);
  router.post('/authorize', authorize);
  router.all('/authorize', methodNotAllowed('GET', 'POST'));
  router.post('/authorize/decision', decisionEndpoint(endpointSettings));
  router.all('/authorize/decision', methodNotAllowed('POST'));

  // RFC 9126 §2.1: the parameters of an authorization request, where `resource` may repeat (RFC 8707 §2.1).
  const readPushed = repeatableFormReader(settings.limits, new Set([...PUSHED_PARAMETERS, 'request_uri', 'client_secret', ...CLIENT_ASSERTION_PARAMETERS]), new Set(['resource']));
  const pushedDpop = dpop === undefined ? undefined : { requests: dpop, endpointUrl: endpointUrl(issuer, '/par') };
  const pushed = pushedAuthorizationRequest({ clients, store, clock, options: codeFlow, resources, ...(pushedDpop !== undefined && { dpopProofs: pushedDpop }) });
  router.post(
    '/par',
    clientEndpoint({ ...clientEndpoints, readParams: readPushed }, (client, form, _req, jkt) => pushed.push(client, form, jkt), { beforeClient: pushed.proofKey, successStatus: 201 }),
  );
  router.all('/par', methodNotAllowed('POST'));
}

/** RFC 8628: the device's endpoint, and the user's steps (verify the code, decide), with deviceAuthorization(). */
function mountDeviceFlow(router: OAuthServer, settings: ServerSettings, { limiter, pageReaders, clientEndpoints }: SharedParts): void {
  const { deviceGrant, authorization, clients, store, clock, onError } = settings;
  if (deviceGrant === undefined || authorization === undefined) return;
  const { device } = deviceGrant;
  router.post('/device_authorization', clientEndpoint(clientEndpoints, deviceAuthorizationRequest({ store, clock, device })));
  router.all('/device_authorization', methodNotAllowed('POST'));
  router.device = deviceUserStep({ store, clock, limiter, device });
  const endpointSettings = { clients, store, clock, authorization, device, userStep: router.device, ...pageReaders, onError };
  router.get('/device/verify', deviceVerifyEndpoint(endpointSettings));
  router.all('/device/verify', methodNotAllowed('GET'));
  router.post('/device/decision', deviceDecisionEndpoint(endpointSettings));
  router.all('/device/decision', methodNotAllowed('POST'));
}

/** RFC 9068 §4, RFC 8414 `jwks_uri`: the public keys of JWT access tokens. */
function mountKeys(router: OAuthServer, settings: ServerSettings, { keys }: SharedParts): void {
  if (keys === undefined) return;
  router.get('/jwks', jwksEndpoint(keys, settings.onError));
  router.all('/jwks', methodNotAllowed('GET'));
}

/** RFC 8414: the metadata, served under the router and offered for the host app's path-insertion URL. */
function mountMetadata(router: OAuthServer, settings: ServerSettings): void {
  const { issuer, codeFlow, deviceGrant, grants, clients, registration, dpop, clientIdMetadataDocuments } = settings;
  router.metadata = buildMetadata({
    issuer,
    endpoints: {
      ...(codeFlow !== undefined && { authorization_endpoint: '/authorize', pushed_authorization_request_endpoint: '/par' }),
      token_endpoint: '/token',
      revocation_endpoint: '/revoke',
      introspection_endpoint: '/introspect',
      // RFC 8628 §4
      ...(deviceGrant !== undefined && { device_authorization_endpoint: '/device_authorization' }),
      ...(settings.jwt !== undefined && { jwks_uri: '/jwks' }),
      // RFC 8414 §2, RFC 7591 §3
      ...(registration !== undefined && { registration_endpoint: '/register' }),
    },
    grantTypes: grants.map((grant) => grant.type),
    scopes: clients.knownScopes,
    extra: {
      ...(codeFlow !== undefined && {
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        code_challenge_methods_supported: codeFlow.pkce.allowPlain ? ['S256', 'plain'] : ['S256'],
        // RFC 9207 §3
        authorization_response_iss_parameter_supported: true,
        // RFC 9126 §5
        require_pushed_authorization_requests: codeFlow.requirePushedRequests,
      }),
      // RFC 9449 §5.1
      ...(dpop !== undefined && { dpop_signing_alg_values_supported: [...dpop.algorithms] }),
      // draft-ietf-oauth-client-id-metadata-document §5 (-01)
      ...(clientIdMetadataDocuments !== undefined && { client_id_metadata_document_supported: true }),
    },
  });
  router.metadataPath = metadataPath(issuer);
  router.metadataHandler = jsonDocumentHandler(router.metadata);
  router.get('/.well-known/oauth-authorization-server', router.metadataHandler);
}
