import express from 'express';
import { authorizationCode, clientCredentials, memoryStore, oauthServer, redisStore, refreshToken } from 'express-oauth2-server';
import { BENCH_USER, CLIENT_ID, CODE_LIFETIME, ISSUER_PATH, REDIRECT_URI, RESOURCE_PATH, SCOPE, TOKEN_LIFETIME, type BuiltApp, type ServerSettings } from '../common';

/**
 * This package, mounted the way its README tells a host app to; `cache` turns on the opt-in token cache,
 * `chosenSecret` configures the client's secret in plaintext, as the example-app's clients.json does:
 * the package then hashes it with scrypt and treats it as guessable, so its brute-force limits run.
 * The bench user is always signed in, and its first Allow is remembered, so later authorization
 * requests of the bench client redirect with a code at once.
 */
export async function build(settings: ServerSettings, options: { cache?: boolean; chosenSecret?: boolean } = {}): Promise<BuiltApp> {
  const oauth = oauthServer({
    issuer: `http://127.0.0.1:${settings.port}${ISSUER_PATH}`,
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: options.chosenSecret ? settings.clientSecret : settings.clientSecretHash,
        grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT_URI],
        scope: SCOPE,
      },
    ],
    grants: [clientCredentials(), authorizationCode(), refreshToken()],
    authorization: {
      getUser: () => BENCH_USER,
      login: (_req, res) => void res.status(403).send('the bench user is always signed in'),
      codeLifetime: CODE_LIFETIME,
      rememberConsent: TOKEN_LIFETIME,
    },
    store: settings.store === 'memory' ? memoryStore() : redisStore({ url: settings.redisUrl, ...(options.cache && { cache: {} }) }),
    accessTokenLifetime: TOKEN_LIFETIME,
  });
  const app = express();
  app.use(ISSUER_PATH, oauth);
  app.get(RESOURCE_PATH, oauth.requireToken(SCOPE), (req, res) => {
    res.json({ ok: true, client: req.oauth?.clientId });
  });
  // redisStore fails fast while Redis is not connected yet: wait until the store answers.
  for (let tries = 0; !(await oauth.health()).ok; tries++) {
    if (tries > 100) throw new Error('the token store never became healthy');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    handler: app,
    close: () => oauth.close(),
  };
}
