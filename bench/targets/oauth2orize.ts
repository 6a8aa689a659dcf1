import express from 'express';
import oauth2orize from 'oauth2orize';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import {
  CLIENT_ID,
  RESOURCE_PATH,
  SCOPE,
  TOKEN_LIFETIME,
  TOKEN_PATH,
  nowSeconds,
  randomToken,
  tokenRepo,
  verifySecret,
  type BuiltApp,
  type ServerSettings,
} from '../common';

interface BenchClient {
  id: string;
  secretHash: string;
  scope: string[];
}

/**
 * oauth2orize as its README wires a token endpoint: passport-http's BasicStrategy
 * authenticates the client, `server.exchange(clientCredentials(...))` issues the token,
 * `server.token()` and `server.errorHandler()` answer. The protected route uses
 * passport-http-bearer, as oauth2orize's docs point to. Storage is the app's job in
 * oauth2orize: tokens go to the same Redis (or a Map) under their SHA-256, as ours.
 */
export async function build(settings: ServerSettings): Promise<BuiltApp> {
  const clients = new Map<string, BenchClient>([[CLIENT_ID, { id: CLIENT_ID, secretHash: settings.clientSecretHash, scope: [SCOPE] }]]);
  const tokens = tokenRepo(settings.store, settings.redisUrl);
  const server = oauth2orize.createServer<BenchClient>();

  server.exchange(
    oauth2orize.exchange.clientCredentials<BenchClient>((client, scope, issued) => {
      const requested = scope ?? client.scope;
      if (!requested.every((s) => client.scope.includes(s))) {
        return issued(new oauth2orize.TokenError('The requested scope exceeds the client scope.', 'invalid_scope'));
      }
      const token = randomToken();
      tokens
        .save(token, { clientId: client.id, scope: requested, expiresAt: nowSeconds() + TOKEN_LIFETIME })
        .then(() => issued(null, token, undefined, { expires_in: TOKEN_LIFETIME, scope: requested.join(' ') }), issued);
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
      tokens.find(token).then((record) => {
        if (record === undefined || record.expiresAt <= nowSeconds()) return done(null, false);
        return done(null, { clientId: record.clientId }, { scope: record.scope, message: '' });
      }, done);
    }),
  );

  const app = express();
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
  return { handler: app, close: () => tokens.close() };
}
