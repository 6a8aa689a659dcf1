import express from 'express';
import { Redis } from 'ioredis';
import { clientCredentials, memoryStore, oauthServer, redisStore } from 'express-oauth2-server';
import { CLIENT_ID, ISSUER_PATH, RESOURCE_PATH, SCOPE, TOKEN_LIFETIME, type BuiltApp, type ServerSettings } from '../common';

/**
 * This package, mounted the way its README tells a host app to. With `autoPipelining`, the
 * host app hands redisStore an ioredis client of its own with auto-pipelining on (commands
 * issued in the same event-loop turn leave in one write), an option any app has today.
 */
export async function build(settings: ServerSettings, options: { autoPipelining?: boolean } = {}): Promise<BuiltApp> {
  const client = options.autoPipelining ? new Redis(settings.redisUrl, { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000 }) : undefined;
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
    store: settings.store === 'memory' ? memoryStore() : client !== undefined ? redisStore({ client }) : redisStore({ url: settings.redisUrl }),
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
    close: async () => {
      await oauth.close();
      client?.disconnect();
    },
  };
}
