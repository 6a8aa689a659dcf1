import express from 'express';
import { clientCredentials, memoryStore, oauthServer, redisStore } from 'express-oauth2-server';
import { CLIENT_ID, ISSUER_PATH, RESOURCE_PATH, SCOPE, TOKEN_LIFETIME, type BuiltApp, type ServerSettings } from '../common';

/** This package, mounted the way its README tells a host app to; `cache` turns on the opt-in token cache. */
export async function build(settings: ServerSettings, options: { cache?: boolean } = {}): Promise<BuiltApp> {
  const oauth = oauthServer({
    issuer: `http://127.0.0.1:${settings.port}${ISSUER_PATH}`,
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: settings.clientSecretHash,
        grant_types: ['client_credentials'],
        scope: SCOPE,
      },
    ],
    grants: [clientCredentials()],
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
