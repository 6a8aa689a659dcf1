import express from 'express';
import { authorizationCode, clientCredentials, memoryStore, oauthServer, redisStore, refreshToken, type OAuthServer } from 'express-oauth2-server';
import { BENCH_USER, CLIENT_ID, CODE_LIFETIME, ISSUER_PATH, JWT_RESOURCE, REDIRECT_URI, RESOURCE_PATH, SCOPE, TOKEN_LIFETIME, type BuiltApp, type ServerSettings } from '../common';
import { signingKeyPair } from './signing-key';

export interface OursOptions {
  /** The opt-in token cache of the Redis store. */
  cache?: boolean;
  /** The client's secret in plaintext, as the example-app's clients.json gives it. */
  chosenSecret?: boolean;
  /** JWT_RESOURCE as a resource with JWT access tokens (RFC 9068), signed with a key of `settings.jwtAlgorithm`. */
  jwt?: boolean;
  /** The bench client authenticates with `private_key_jwt` (its key: `settings.clientPublicJwk`) instead of a secret. */
  privateKeyJwt?: boolean;
  /** Open dynamic registration (RFC 7591) at /register, its limits raised far above a run's 10,000 registrations. */
  openRegistration?: boolean;
}

/** Registered clients allowed at once in the registration bench: twice the registrations it sends. */
export const BENCH_MAX_REGISTERED_CLIENTS = 20_000;

/**
 * This package, mounted the way its README tells a host app to; `cache` turns on the opt-in token cache,
 * `chosenSecret` configures the client's secret in plaintext, as the example-app's clients.json does:
 * the package then treats it as guessable (hashed at start-up), so its brute-force limits run.
 * The bench user is always signed in, and its first Allow is remembered, so later authorization
 * requests of the bench client redirect with a code at once.
 *
 * With `jwt`, a token requested with `resource=JWT_RESOURCE` is a JWT access token signed with a
 * key the host gives (`signingKeys.keys`, one private JWK), and the protected route is
 * `oauth.resource(JWT_RESOURCE).requireToken('read')`. The RFC 8414 metadata is mounted at its
 * path-insertion URL too, as the README says, so that resource servers can discover the issuer.
 */
export async function build(settings: ServerSettings, options: OursOptions = {}): Promise<BuiltApp> {
  const { app, oauth } = await oursServer(settings, options);
  const guard = options.jwt ? oauth.resource(JWT_RESOURCE).requireToken(SCOPE) : oauth.requireToken(SCOPE);
  app.get(RESOURCE_PATH, guard, (req, res) => {
    res.json({ ok: true, client: req.oauth?.clientId });
  });
  return { handler: app, close: () => oauth.close() };
}

/** The authorization server mounted in an Express app, healthy, with no protected route yet. */
export async function oursServer(settings: ServerSettings, options: OursOptions = {}): Promise<{ app: express.Express; oauth: OAuthServer }> {
  const jwtOptions = options.jwt
    ? {
        resources: [{ uri: JWT_RESOURCE, scopes: [SCOPE], accessTokenFormat: 'jwt' as const, accessTokenLifetime: TOKEN_LIFETIME }],
        signingKeys: { keys: [(await signingKeyPair(settings.jwtAlgorithm)).privateJwk] },
      }
    : {};
  const serverOptions = {
    issuer: `http://127.0.0.1:${settings.port}${ISSUER_PATH}`,
    clients: [options.privateKeyJwt ? keyedClient(settings) : secretClient(settings, options)],
    grants: [clientCredentials(), authorizationCode(), refreshToken()],
    authorization: {
      getUser: () => BENCH_USER,
      login: (_req: express.Request, res: express.Response) => void res.status(403).send('the bench user is always signed in'),
      codeLifetime: CODE_LIFETIME,
      rememberConsent: TOKEN_LIFETIME,
    },
    store: settings.store === 'memory' ? memoryStore() : redisStore({ url: settings.redisUrl, ...(options.cache && { cache: {} }) }),
    accessTokenLifetime: TOKEN_LIFETIME,
    ...jwtOptions,
    ...(options.openRegistration && {
      registration: { scopes: [SCOPE], perAddress: { max: 10 * BENCH_MAX_REGISTERED_CLIENTS, windowSeconds: 3600 }, maxClients: BENCH_MAX_REGISTERED_CLIENTS },
    }),
  };
  const oauth = oauthServer(serverOptions);
  const app = express();
  app.use(ISSUER_PATH, oauth);
  if (options.jwt) app.get(oauth.metadataPath, oauth.metadataHandler);
  // redisStore fails fast while Redis is not connected yet: wait until the store answers.
  for (let tries = 0; !(await oauth.health()).ok; tries++) {
    if (tries > 100) throw new Error('the token store never became healthy');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { app, oauth };
}

/** The bench client with a secret: hashed as generateClientSecret() makes it, or in plaintext (`chosenSecret`). */
function secretClient(settings: ServerSettings, options: OursOptions) {
  return {
    client_id: CLIENT_ID,
    client_secret: options.chosenSecret ? settings.clientSecret : settings.clientSecretHash,
    grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
    redirect_uris: [REDIRECT_URI],
    scope: SCOPE,
  };
}

/** The bench client with a key instead of a secret (RFC 7523 §2.2), as the README's private_key_jwt section configures one. */
function keyedClient(settings: ServerSettings) {
  if (settings.clientPublicJwk === undefined) throw new Error('private_key_jwt: the runner gave no client key');
  return {
    client_id: CLIENT_ID,
    token_endpoint_auth_method: 'private_key_jwt' as const,
    jwks: { keys: [settings.clientPublicJwk] },
    grant_types: ['client_credentials'],
    scope: SCOPE,
  };
}
