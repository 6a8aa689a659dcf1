import express from 'express';
import oauth2orize, { type ExchangeDoneFunction, type OAuth2Req, type ValidateDoneFunction } from 'oauth2orize';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import {
  AUTHORIZE_PATH,
  BENCH_USER,
  CLIENT_ID,
  CODE_LIFETIME,
  REDIRECT_URI,
  RESOURCE_PATH,
  SCOPE,
  TOKEN_LIFETIME,
  TOKEN_PATH,
  nowSeconds,
  peerStore,
  randomToken,
  verifierMatches,
  verifySecret,
  type BuiltApp,
  type PeerStore,
  type ServerSettings,
} from '../common';

interface BenchClient {
  id: string;
  secretHash: string;
  scope: string[];
  redirectUris: string[];
}

/** What the bench's request parser adds to oauth2orize's parsed authorization request. */
type PkceRequest = OAuth2Req & { codeChallenge?: string; codeChallengeMethod?: string };

/** A refresh token lives as long as ours' idle lifetime (14 days). */
const REFRESH_TOKEN_LIFETIME = 14 * 24 * 3600;

/**
 * oauth2orize as its README wires a token endpoint: passport-http's BasicStrategy
 * authenticates the client, `server.exchange(...)` issues tokens (client credentials,
 * authorization code, refresh token), `server.token()` and `server.errorHandler()` answer.
 * The protected route uses passport-http-bearer, as oauth2orize's docs point to. Storage is the
 * app's job in oauth2orize: tokens and codes go to the same Redis (or Maps) under their
 * SHA-256, as ours. The authorization endpoint is `server.authorization()` with the bench
 * user signed in and an `immediate` callback that approves at once (no decision form, so no
 * session). oauth2orize has no PKCE of its own and the oauth2orize-pkce plugin is not
 * installed: a request parser of ours reads the challenge, the code exchange checks S256.
 */
export async function build(settings: ServerSettings): Promise<BuiltApp> {
  const clients = new Map<string, BenchClient>([[CLIENT_ID, { id: CLIENT_ID, secretHash: settings.clientSecretHash, scope: [SCOPE], redirectUris: [REDIRECT_URI] }]]);
  const store = peerStore(settings.store, settings.redisUrl);
  const server = oauth2orize.createServer<BenchClient>();

  server.grant('*', (req) => {
    const query = (req as unknown as express.Request).query;
    return { codeChallenge: query.code_challenge, codeChallengeMethod: query.code_challenge_method };
  });
  server.grant(
    oauth2orize.grant.code<BenchClient, { id: string }>((client, redirectUri, user, _ares, areq, issued) => {
      const { scope, codeChallenge, codeChallengeMethod } = areq as PkceRequest;
      if (typeof codeChallenge !== 'string' || codeChallengeMethod !== 'S256') {
        return issued(new oauth2orize.AuthorizationError('PKCE with S256 is required.', 'invalid_request'));
      }
      const requested = scope ?? client.scope;
      if (!requested.every((s) => client.scope.includes(s))) return issued(new oauth2orize.AuthorizationError('The requested scope exceeds the client scope.', 'invalid_scope'));
      const code = randomToken();
      store.codes
        .save(code, { clientId: client.id, sub: user.id, scope: requested, redirectUri, codeChallenge, codeChallengeMethod, expiresAt: nowSeconds() + CODE_LIFETIME })
        .then(() => issued(null, code), issued);
    }),
  );

  server.exchange(
    oauth2orize.exchange.clientCredentials<BenchClient>((client, scope, issued) => {
      const requested = scope ?? client.scope;
      if (!requested.every((s) => client.scope.includes(s))) {
        return issued(new oauth2orize.TokenError('The requested scope exceeds the client scope.', 'invalid_scope'));
      }
      const token = randomToken();
      store.accessTokens
        .save(token, { clientId: client.id, scope: requested, expiresAt: nowSeconds() + TOKEN_LIFETIME })
        .then(() => issued(null, token, undefined, { expires_in: TOKEN_LIFETIME, scope: requested.join(' ') }), issued);
    }),
  );
  server.exchange(
    oauth2orize.exchange.code<BenchClient>((client, code, redirectUri, body, issued) => {
      store.codes.take(code).then((record) => {
        const valid = record !== undefined && record.clientId === client.id && record.expiresAt > nowSeconds() && record.redirectUri === redirectUri;
        if (!valid || record.codeChallenge === undefined || !verifierMatches(body.code_verifier, record.codeChallenge)) return issued(null, false);
        issueUserTokens(store, client.id, record.sub, record.scope, issued);
      }, issued);
    }),
  );
  server.exchange(
    oauth2orize.exchange.refreshToken<BenchClient>((client, refreshToken, _scope, issued) => {
      // Taken (deleted) on use: a new one comes with every answer.
      store.refreshTokens.take(refreshToken).then((record) => {
        if (record === undefined || record.clientId !== client.id || record.expiresAt <= nowSeconds() || record.sub === undefined) return issued(null, false);
        issueUserTokens(store, client.id, record.sub, record.scope, issued);
      }, issued);
    }),
  );

  passport.use(
    new BasicStrategy((clientId, secret, done) => {
      const client = clients.get(clientId);
      if (client === undefined || !verifySecret(secret, client.secretHash)) return done(null, false);
      return done(null, client);
    }),
  );
  passport.use(
    new BearerStrategy((token, done) => {
      store.accessTokens.find(token).then((record) => {
        if (record === undefined || record.expiresAt <= nowSeconds()) return done(null, false);
        return done(null, { clientId: record.clientId }, { scope: record.scope, message: '' });
      }, done);
    }),
  );

  const app = express();
  app.get(
    AUTHORIZE_PATH,
    signedInBenchUser,
    server.authorization(
      (clientId: string, redirectUri: string, validated: ValidateDoneFunction<BenchClient>) => {
        const client = clients.get(clientId);
        if (client === undefined || !client.redirectUris.includes(redirectUri)) return validated(null, false);
        return validated(null, client, redirectUri);
      },
      // The bench user has approved this client before: oauth2orize's documented way to skip the decision.
      (_client, _user, _scope, _type, _areq, approved) => approved(null, true, undefined, undefined),
    ),
  );
  app.post(
    TOKEN_PATH,
    express.urlencoded({ extended: false }),
    passport.authenticate('basic', { session: false }),
    server.token(),
    server.errorHandler(),
  );
  app.get(
    RESOURCE_PATH,
    passport.authenticate('bearer', { session: false }),
    (req, res, next) => {
      // passport-http-bearer leaves the scope check to the app.
      const scope = (req.authInfo as { scope?: string[] } | undefined)?.scope ?? [];
      if (!scope.includes(SCOPE)) return void res.status(403).json({ error: 'insufficient_scope' });
      next();
    },
    (req, res) => {
      res.json({ ok: true, client: (req.user as { clientId: string }).clientId });
    },
  );
  return { handler: app, close: () => store.close() };
}

/** Stands for the app's login session: the bench user is signed in. */
function signedInBenchUser(req: express.Request, _res: express.Response, next: express.NextFunction): void {
  req.user = { id: BENCH_USER };
  next();
}

/** An access token and a new refresh token for the user, both saved before answering. */
function issueUserTokens(store: PeerStore, clientId: string, sub: string, scope: string[], issued: ExchangeDoneFunction): void {
  const [accessToken, refreshToken] = [randomToken(), randomToken()];
  const now = nowSeconds();
  Promise.all([
    store.accessTokens.save(accessToken, { clientId, sub, scope, expiresAt: now + TOKEN_LIFETIME }),
    store.refreshTokens.save(refreshToken, { clientId, sub, scope, expiresAt: now + REFRESH_TOKEN_LIFETIME }),
  ]).then(() => issued(null, accessToken, refreshToken, { expires_in: TOKEN_LIFETIME, scope: scope.join(' ') }), issued);
}
